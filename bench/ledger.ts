/**
 * `npm run bench:ledger`: the batching engine against one-transaction-per-transfer, on the same
 * schema, with the same 64 closed-loop callers each sending one transfer at a time. Prints one JSON
 * line per scenario. BENCH_SECONDS sets each scenario's measured duration (default 10).
 */
import type { Pool } from '../src/db/pool.ts';
import { Ledger, type TransferInput } from '../src/ledger/index.ts';
import { benchDatabase, benchLogger, percentile, round } from './lib/database.ts';

const callers = 64;
const accountsCount = 10_000;
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const warmupSeconds = 1;
const currency = 'USD';

const db = await benchDatabase();
const setupPool = db.pool(4);
const ledger = new Ledger({
  pool: db.pool(8),
  logger: benchLogger,
  batchTransfersMax: 4096,
  queueTransfersMax: 1_000_000,
  batchesInFlightMax: Number(process.env.BENCH_BATCHES_IN_FLIGHT ?? 2),
  expiryIntervalMs: 0,
});
const accounts = await createAccounts(setupPool, ledger);
const hot = 'hot';
await ledger.createAccounts([{ id: hot, currency, kind: 'merchant' }]);

let sequence = 0;
const random = (n: number) => Math.floor(Math.random() * n);
function randomTransfer(creditHot: boolean): TransferInput {
  const debit = accounts[random(accounts.length)] as string;
  let credit = creditHot ? hot : (accounts[random(accounts.length)] as string);
  while (credit === debit) credit = accounts[random(accounts.length)] as string;
  sequence++;
  return {
    id: `b${process.pid}_${sequence}`,
    debitAccountId: debit,
    creditAccountId: credit,
    amount: 1n + BigInt(random(100)),
    currency,
    code: 'bench',
  };
}

// BENCH_SCENARIOS=batched_random,naive_random runs only those.
const only = process.env.BENCH_SCENARIOS?.split(',');
const wanted = (scenario: string) => !only || only.includes(scenario);

await run('batched_random', async () => {
  const [r] = await ledger.createTransfers([randomTransfer(false)]);
  if (r?.result !== 'ok') throw new Error(`unexpected result ${r?.result}`);
});
await run('batched_hot', async () => {
  const [r] = await ledger.createTransfers([randomTransfer(true)]);
  if (r?.result !== 'ok') throw new Error(`unexpected result ${r?.result}`);
});
const naivePool = db.pool(callers);
await run('naive_random', () => naiveTransfer(naivePool, randomTransfer(false)));

const violations = await ledger.verify();
if (violations.length > 0)
  throw new Error(`ledger verify failed after the benchmark: ${violations[0]?.detail}`);
await ledger.close();
await db.close();

async function run(scenario: string, once: () => Promise<void>): Promise<void> {
  if (!wanted(scenario)) return;
  const latenciesMs: number[] = [];
  let batches = 0;
  let retried = 0;
  const unsubscribe = ledger.onBatch((stats) => {
    if (!measuring) return;
    batches++;
    if (stats.attempts > 1) retried++;
  });
  let measuring = false;
  let stop = false;
  const loop = async () => {
    while (!stop) {
      const started = performance.now();
      await once();
      if (measuring) latenciesMs.push(performance.now() - started);
    }
  };
  const loops = Array.from({ length: callers }, loop);
  await sleep(warmupSeconds * 1000);
  measuring = true;
  const startedMs = performance.now();
  await sleep(seconds * 1000);
  measuring = false;
  const elapsed = (performance.now() - startedMs) / 1000;
  stop = true;
  await Promise.all(loops);
  unsubscribe();
  latenciesMs.sort((a, b) => a - b);
  const line = {
    scenario,
    transfers: latenciesMs.length,
    seconds: round(elapsed),
    transfers_per_s: Math.round(latenciesMs.length / elapsed),
    p50_ms: round(percentile(latenciesMs, 50)),
    p99_ms: round(percentile(latenciesMs, 99)),
    ...(batches > 0
      ? { transfers_per_batch: round(latenciesMs.length / batches, 1), batches_retried: retried }
      : {}),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** The usual design: one database transaction per transfer, accounts locked in id order. */
async function naiveTransfer(pool: Pool, t: TransferInput): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const ids = [t.debitAccountId, t.creditAccountId].sort();
    const { rows } = await client.query<{ id: string; dp: string; cp: string; dpe: string; flag: boolean }>(
      `SELECT id, debits_posted::text AS dp, credits_posted::text AS cp, debits_pending::text AS dpe,
              debits_must_not_exceed_credits AS flag
         FROM ledger_accounts WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
      [ids],
    );
    const debit = rows.find((r) => r.id === t.debitAccountId);
    if (!debit || rows.length !== 2) throw new Error('account not found');
    const amount = t.amount as bigint;
    if (debit.flag && BigInt(debit.dp) + BigInt(debit.dpe) + amount > BigInt(debit.cp))
      throw new Error('exceeds credits');
    await client.query(
      `INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, currency, code, kind, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'posted', clock_timestamp())`,
      [t.id, t.debitAccountId, t.creditAccountId, amount.toString(), t.currency, t.code],
    );
    await client.query('UPDATE ledger_accounts SET debits_posted = debits_posted + $2 WHERE id = $1', [
      t.debitAccountId,
      amount.toString(),
    ]);
    await client.query('UPDATE ledger_accounts SET credits_posted = credits_posted + $2 WHERE id = $1', [
      t.creditAccountId,
      amount.toString(),
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

/** 10,000 wallets that may not go negative, each funded generously so random transfers succeed. */
async function createAccounts(pool: Pool, ledger: Ledger): Promise<string[]> {
  const ids = Array.from({ length: accountsCount }, (_, i) => `a${i}`);
  const results = [
    ...(await ledger.createAccounts([{ id: 'funding', currency, kind: 'suspense' }])),
    ...(await ledger.createAccounts(
      ids.map((id) => ({
        id,
        currency,
        kind: 'wallet' as const,
        flags: { debitsMustNotExceedCredits: true },
      })),
    )),
  ];
  if (results.some((r) => r.result !== 'ok')) throw new Error('account setup failed');
  for (let i = 0; i < ids.length; i += 4000) {
    const batch = ids.slice(i, i + 4000).map((id) => ({
      id: `fund_${id}`,
      debitAccountId: 'funding',
      creditAccountId: id,
      amount: 10n ** 12n,
      currency,
      code: 'funding',
    }));
    const funded = await ledger.createTransfers(batch);
    if (funded.some((r) => r.result !== 'ok')) throw new Error('funding failed');
  }
  await pool.query('ANALYZE');
  return ids;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
