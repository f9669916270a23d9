import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { createPool, type Pool } from '../../src/db/pool.ts';
import { type BatchStats, Ledger, type LedgerOptions } from '../../src/ledger/index.ts';
import { newId } from '../../src/shared/ids.ts';
import { createLogger, type Logger } from '../../src/shared/logger.ts';
import { Secret } from '../../src/shared/secret.ts';

export const quietLogger: Logger = createLogger('silent');

export interface TestDatabase {
  readonly url: string;
  readonly pool: Pool;
}

/**
 * A brand-new, migrated database for the calling test file, dropped when the file's tests end (when
 * made at the file's top level; one made inside a hook or a test is dropped when the run ends). Each
 * file owning its database lets tests check whole-ledger invariants without seeing other files' data.
 */
export async function freshDatabase(poolMax = 20): Promise<TestDatabase> {
  const adminUrl = inject('adminDatabaseUrl');
  const name = `chatpay_test_${inject('testRunId')}_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = createPool({
    url: new Secret(url.toString()),
    max: poolMax,
    statementTimeoutMs: 60_000,
    logger: quietLogger,
  });
  await migrateToLatest(pool);
  afterAll(async () => {
    await pool.end();
    await withAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  });
  return { url: url.toString(), pool };
}

async function withAdmin(adminUrl: string, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

export function testLedger(pool: Pool, options: Partial<LedgerOptions> = {}): Ledger {
  const ledger = new Ledger({
    pool,
    logger: quietLogger,
    batchTransfersMax: 4096,
    queueTransfersMax: 100_000,
    batchesInFlightMax: 2,
    expiryIntervalMs: 0,
    ...options,
  });
  afterAll(() => ledger.close());
  return ledger;
}

/** Two ledgers on one fresh database, standing for two processes; `batchesOfA` records A's batches. */
export async function twoLedgers(): Promise<{
  db: TestDatabase;
  a: Ledger;
  b: Ledger;
  batchesOfA: BatchStats[];
}> {
  const db = await freshDatabase();
  const a = testLedger(db.pool);
  const b = testLedger(db.pool);
  const batchesOfA: BatchStats[] = [];
  a.onBatch((stats) => batchesOfA.push(stats));
  return { db, a, b, batchesOfA };
}

/** Two ETB wallets, `wallet` funded with `funding` from a suspense account `source`, and `other`. */
export async function fundedWallets(
  ledger: Ledger,
  funding: bigint,
): Promise<{ wallet: string; other: string; source: string }> {
  const wallet = newId('wal');
  const other = newId('wal');
  const source = newId('sys');
  await ledger.createAccounts([
    { id: wallet, currency: 'ETB', kind: 'wallet', flags: { debitsMustNotExceedCredits: true } },
    { id: other, currency: 'ETB', kind: 'wallet', flags: { debitsMustNotExceedCredits: true } },
    { id: source, currency: 'ETB', kind: 'suspense' },
  ]);
  const [funded] = await ledger.createTransfers([
    {
      id: newId('txf'),
      debitAccountId: source,
      creditAccountId: wallet,
      amount: funding,
      currency: 'ETB',
      code: 'deposit',
    },
  ]);
  if (funded?.result !== 'ok') throw new Error(`funding failed: ${funded?.result}`);
  return { wallet, other, source };
}
