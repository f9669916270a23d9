import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../src/db/embedded.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { createPool, type Pool } from '../../src/db/pool.ts';
import { isChatPayError } from '../../src/shared/errors.ts';
import { quietLogger, testLedger } from '../helpers/database.ts';

// This file restarts PostgreSQL, so it runs its own embedded server rather than the shared one.
let dataDir: string;
let server: EmbeddedPostgres;
let pool: Pool;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'chatpay-restart-'));
  server = await startEmbeddedPostgres({ dataDir, logger: quietLogger });
  pool = createPool({
    url: server.url,
    max: 10,
    statementTimeoutMs: 10_000,
    logger: quietLogger,
    connectionTimeoutMs: 2_000,
  });
  await migrateToLatest(pool);
});

afterAll(async () => {
  await pool?.end();
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a PostgreSQL restart', () => {
  it('is reached over its own Unix socket, and still over loopback TCP', async () => {
    // A Unix-socket connection has no client address.
    const { rows } = await pool.query<{ addr: string | null; dir: string }>(
      `SELECT inet_client_addr()::text AS addr, current_setting('unix_socket_directories') AS dir`,
    );
    expect(rows[0]).toEqual({ addr: null, dir: server.dataDir });
    const tcp = new URL(server.url.reveal());
    tcp.search = '';
    const client = new pg.Client({ connectionString: tcp.toString() });
    await client.connect();
    try {
      const viaTcp = await client.query<{ addr: string }>('SELECT host(inet_client_addr()) AS addr');
      expect(viaTcp.rows[0]?.addr).toBe('127.0.0.1');
    } finally {
      await client.end();
    }
  });

  it('kills idle pool connections without killing the process', async () => {
    const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
    for (const c of clients) c.release();
    expect(pool.idleCount).toBeGreaterThanOrEqual(3);
    const admin = new pg.Client({ connectionString: server.adminUrl.reveal() });
    await admin.connect();
    const { rowCount } = await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'chatpay' AND pid <> pg_backend_pid()",
    );
    await admin.end();
    expect(rowCount).toBeGreaterThanOrEqual(3);
    await sleep(100);
    // The pool dropped the dead clients (its error listener kept the process alive) and reconnects.
    expect((await pool.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
  });

  it('survives a checked-out connection dying between two queries', async () => {
    const client = await pool.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const admin = new pg.Client({ connectionString: server.adminUrl.reveal() });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
    await admin.end();
    await sleep(100); // the termination arrives while no query runs on the client
    await expect(client.query('SELECT 1')).rejects.toThrow();
    client.release(true);
    expect((await pool.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
  });

  it('loses no acknowledged transfer and applies none twice', async () => {
    const ledger = testLedger(pool);
    const accounts = Array.from({ length: 20 }, (_, i) => `rs-w${i}`);
    await ledger.createAccounts([
      { id: 'rs-src', currency: 'ETB', kind: 'suspense' },
      ...accounts.map((id) => ({ id, currency: 'ETB', kind: 'wallet' as const })),
    ]);
    const acknowledged = new Set<string>();
    let failures = 0;
    let stop = false;
    let seq = 0;
    const caller = async () => {
      while (!stop) {
        const input = {
          id: `rs-t${seq++}`,
          debitAccountId: 'rs-src',
          creditAccountId: accounts[seq % accounts.length] as string,
          amount: 5n,
          currency: 'ETB',
          code: 'restart',
        };
        // A client retries the same id until it hears a definite answer.
        for (;;) {
          try {
            const [result] = await ledger.createTransfers([input]);
            expect(['ok', 'exists']).toContain(result?.result);
            acknowledged.add(input.id);
            break;
          } catch (error) {
            expect(isChatPayError(error, 'ledger_unavailable')).toBe(true);
            failures++;
            await sleep(50);
          }
        }
      }
    };
    const callers = Array.from({ length: 16 }, caller);
    await sleep(300);
    await server.restart();
    await sleep(500);
    stop = true;
    await Promise.all(callers);
    expect(failures).toBeGreaterThan(0);
    const { rows } = await pool.query<{ id: string }>(
      "SELECT id FROM ledger_transfers WHERE id LIKE 'rs-t%'",
    );
    const stored = new Set(rows.map((r) => r.id));
    expect([...acknowledged].filter((id) => !stored.has(id))).toEqual([]);
    expect(stored.size).toBe(rows.length);
    const credited = await ledger.getAccounts(accounts);
    const total = [...credited.values()].reduce((sum, a) => sum + a.creditsPosted, 0n);
    expect(total).toBe(5n * BigInt(stored.size));
    expect(await ledger.verify()).toEqual([]);
  });
});
