/**
 * `npm run bench:console`: the operator console's reads at scale. Creates `chatpay_bench_console` on
 * the PostgreSQL server of BENCH_DATABASE_URL, DATABASE_URL or TEST_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test), seeds BENCH_TRANSACTIONS (default 1,000,000) payments
 * and transfers over 60 days with set-based SQL, aggregates the 60 days, then serves the real app
 * over HTTP and times sequential requests (BENCH_REQUESTS each, default 500, after a warm-up) as an
 * admin operator. Prints one JSON line on stdout; progress goes to stderr. Target: p99 < 200 ms.
 * The database is dropped at the end (kept with BENCH_KEEP_DATABASE=1, for EXPLAIN).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { buildApp } from '../src/api/app.ts';
import {
  closeServices,
  createLedger,
  createProviders,
  createServices,
  openDatabase,
} from '../src/cli/runtime.ts';
import { loadConfig } from '../src/config/load.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import type { Pool } from '../src/db/pool.ts';
import { aggregateDailyStats } from '../src/reports/index.ts';
import { createLogger } from '../src/shared/logger.ts';
import { percentile, round } from './lib/database.ts';

const databaseName = 'chatpay_bench_console';
const transactions = setting('BENCH_TRANSACTIONS', 1_000_000);
const requests = setting('BENCH_REQUESTS', 500);
const warmupRequests = 50;
const usersCount = 10_000;
const targetP99Ms = 200;
// What the ledger side holds: person-to-person transfers and held transfers; payments the rest.
const transferShare = 0.15;
const heldShare = 0.01;

const logger = createLogger('warn');
const log = (line: string) => process.stderr.write(`bench:console: ${line}\n`);

try {
  await main();
} catch (error) {
  process.stderr.write(`bench:console failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
}

function setting(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

async function main(): Promise<void> {
  const adminUrl =
    process.env.BENCH_DATABASE_URL ??
    process.env.DATABASE_URL ??
    process.env.TEST_DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/test';
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${databaseName}`);
    const url = new URL(adminUrl);
    url.pathname = `/${databaseName}`;
    try {
      await benchmark(url.toString());
    } finally {
      // BENCH_KEEP_DATABASE=1 leaves it for EXPLAIN; the next run drops it first.
      if (!process.env.BENCH_KEEP_DATABASE) await dropDatabase(admin);
    }
  } finally {
    await admin.end();
  }
}

/**
 * Drops the bench's database once its pools' connections are gone: `pool.end()` resolves before
 * they have closed, and forcing them out would log spurious "connection lost" warnings. Forced
 * after a few seconds all the same.
 */
async function dropDatabase(admin: pg.Client): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const { rows } = await admin.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
      [databaseName],
    );
    if (rows[0]?.n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
}

async function benchmark(databaseUrl: string): Promise<void> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    JWT_SECRET: randomBytes(36).toString('base64url'),
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '1000000',
  });
  const database = await openDatabase(config, logger, 'chatpay-bench-console');
  // Before the services: they read operator-edited settings at start.
  await migrateToLatest(database.pool);
  const { ledger, close: closeLedger } = createLedger(config, database, logger);
  const providers = await createProviders(config, logger, false);
  const services = await createServices(config, database, ledger, logger, providers);
  try {
    const seed = await timed(() => seedTransactions(databaseUrl));
    log(`seeded ${transactions} transactions in ${seed.ms} ms`);
    const backfill = await timed(() =>
      aggregateDailyStats(database.pool, { walletsMode: config.payments.walletsMode, days: 60 }),
    );
    await database.pool.query('VACUUM ANALYZE');
    const minute = await timed(() =>
      aggregateDailyStats(database.pool, { walletsMode: config.payments.walletsMode, days: 2 }),
    );
    log(`aggregated 60 days in ${backfill.ms} ms (the minute job's 2 days: ${minute.ms} ms)`);
    const operator = await services.users.register({
      email: 'bench-admin@example.com',
      password: randomBytes(15).toString('base64url'),
      role: 'admin',
    });
    const { access_token } = await services.tokens.issue(operator);
    const app = await buildApp({ services, logLevel: 'warn', rateLimits: config.rateLimit });
    const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const results = await measure(baseUrl, `Bearer ${access_token}`, database.pool);
      const line = {
        transactions,
        seed_ms: seed.ms,
        aggregate_60_days_ms: backfill.ms,
        aggregate_2_days_ms: minute.ms,
        requests_each: requests,
        ...results,
        target_p99_ms: targetP99Ms,
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    } finally {
      await app.close();
    }
  } finally {
    await closeLedger();
    await closeServices(services);
    await providers.close();
    await database.close();
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: Math.round(performance.now() - started) };
}

// Ids as the app makes them: a prefix and 26 base-36 characters, here from the row number.
function idOf(prefix: string, n: string): string {
  return `'${prefix}_' || lpad((${n})::text, 26, '0')`;
}

/**
 * Payments: deposits, withdrawals and merchant collections in five currencies on four providers,
 * mostly succeeded, some failed, canceled, expired or rejected, the last hour's still pending, a few
 * waiting for review or approval; amounts skewed small. Ledger: transfers between the users, and
 * held transfers (half claimed). All spread evenly over 60 days.
 */
async function seedTransactions(databaseUrl: string): Promise<void> {
  // Its own connection: the app's pool has a statement timeout sized for requests, not bulk loads.
  const pool = new pg.Client({ connectionString: databaseUrl, statement_timeout: 0 });
  await pool.connect();
  try {
    await seed(pool);
  } finally {
    await pool.end();
  }
}

async function seed(pool: pg.Client): Promise<void> {
  const held = Math.round(transactions * heldShare);
  const transfers = Math.round(transactions * transferShare);
  const payments = transactions - held - transfers;
  await pool.query(
    `INSERT INTO payments (id, kind, provider, mode, status, user_id, merchant_id, account_id, amount, fee,
       currency, reconcile_at, created_at, updated_at, completed_at)
     SELECT id, kind, provider, 'live', status, user_id, merchant_id, coalesce(user_id, merchant_id) || '_' || currency,
            amount, CASE WHEN kind = 'withdrawal' THEN floor(amount / 100) ELSE 0 END, currency, at, at, at,
            CASE WHEN status IN ('pending', 'requires_approval', 'needs_review') THEN NULL ELSE at END
       FROM (
         SELECT id, kind, currency, at, amount,
                CASE WHEN kind = 'collection' THEN NULL ELSE ${idOf('usr', 'u')} END AS user_id,
                CASE WHEN kind = 'collection' THEN ${idOf('mch', 'u % 50')} END AS merchant_id,
                CASE currency WHEN 'KES' THEN 'mpesa' WHEN 'ETB' THEN 'chapa'
                  WHEN 'USD' THEN CASE WHEN kind = 'collection' THEN 'stripe' ELSE 'flutterwave' END
                  ELSE 'flutterwave' END AS provider,
                CASE WHEN at > now() - interval '1 hour' THEN 'pending'
                     WHEN rs < 0.86 THEN 'succeeded' WHEN rs < 0.94 THEN 'failed'
                     WHEN rs < 0.96 THEN 'canceled' WHEN rs < 0.98 THEN 'expired'
                     WHEN rs < 0.985 AND kind = 'withdrawal' THEN 'rejected'
                     WHEN rs < 0.9852 THEN 'needs_review'
                     WHEN rs < 0.9856 AND kind = 'withdrawal' THEN 'requires_approval'
                     ELSE 'succeeded' END AS status
           FROM (
             SELECT ${idOf('pay', 'i')} AS id, u, rs, at,
                    CASE WHEN rk < 0.55 THEN 'deposit' WHEN rk < 0.85 THEN 'withdrawal' ELSE 'collection' END AS kind,
                    (ARRAY['KES', 'KES', 'ETB', 'NGN', 'USD', 'UGX'])[1 + floor(rc * 6)::int] AS currency,
                    (100 + floor(ra * ra * ra * 5000000))::numeric AS amount
               FROM (
                 SELECT i, floor(random() * ${usersCount})::int AS u, random() AS rk, random() AS rc, random() AS rs,
                        random() AS ra, now() - random() * interval '60 days' AS at
                   FROM generate_series(1, $1::int) i) g) h) p`,
    [payments],
  );
  log(`${payments} payments`);
  await pool.query(
    `INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, currency, code, kind, metadata,
       created_at)
     SELECT ${idOf('txf', 'i')}, 'wal_' || a || '_' || currency, 'wal_' || b || '_' || currency, amount, currency,
            'p2p', 'posted', jsonb_build_object('from', ${idOf('usr', 'a')}, 'to', ${idOf('usr', 'b')}), at
       FROM (
         SELECT i, a, (a + 1 + floor(random() * ${usersCount - 1})::int) % ${usersCount} AS b,
                (ARRAY['KES', 'KES', 'ETB', 'NGN', 'USD', 'UGX'])[1 + floor(random() * 6)::int] AS currency,
                (100 + floor(random() * random() * 200000))::numeric AS amount,
                now() - random() * interval '60 days' AS at
           FROM (SELECT i, floor(random() * ${usersCount})::int AS a FROM generate_series(1, $1::int) i) g) t`,
    [transfers],
  );
  await pool.query(
    `INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, currency, code, kind, metadata,
       created_at, timeout_seconds)
     SELECT ${idOf('hld', 'i')} || '_hold', 'wal_' || a || '_KES', 'escrow_KES', 500 + i % 10000, 'KES', 'p2p_held',
            'pending', jsonb_build_object('from', ${idOf('usr', 'a')}, 'to', '@friend' || i), at, 86400
       FROM (SELECT i, floor(random() * ${usersCount})::int AS a, now() - random() * interval '60 days' AS at
               FROM generate_series(1, $1::int) i) g`,
    [held],
  );
  await pool.query(
    `INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, currency, code, kind, pending_id,
       created_at)
     SELECT replace(id, '_hold', '_post'), debit_account_id, credit_account_id, amount, currency, code, 'post_pending',
            id, created_at + interval '1 hour'
       FROM ledger_transfers WHERE code = 'p2p_held' AND kind = 'pending' AND seq % 2 = 0`,
  );
  log(`${transfers} transfers and ${held} held transfers`);
}

interface Scenario {
  readonly name: string;
  readonly path: string;
}

async function scenarios(pool: Pool): Promise<Scenario[]> {
  const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
  const { rows } = await pool.query<{ id: string }>(
    `SELECT id FROM payments WHERE currency = 'KES' AND kind = 'deposit' AND status = 'succeeded'
      ORDER BY created_at DESC, id COLLATE "C" DESC OFFSET 5000 LIMIT 1`,
  );
  const cursor = rows[0]?.id ?? '';
  const user = `usr_${'1234'.padStart(26, '0')}`;
  return [
    { name: 'dashboard', path: '/v1/operator/dashboard' },
    {
      name: 'transactions_first_page',
      path: '/v1/operator/transactions?currency=KES&type=deposit&status=succeeded&limit=50',
    },
    {
      name: 'transactions_provider_dates',
      path: `/v1/operator/transactions?provider=flutterwave&created_from=${day(20)}&created_to=${day(10)}&limit=50`,
    },
    { name: 'transactions_unfiltered', path: '/v1/operator/transactions?limit=50' },
    { name: 'transactions_user', path: `/v1/operator/transactions?user_id=${user}&limit=50` },
    {
      name: 'transactions_deep_page',
      path: `/v1/operator/transactions?currency=KES&type=deposit&status=succeeded&limit=50&starting_after=${cursor}`,
    },
    {
      name: 'transactions_transfers_amount',
      path: '/v1/operator/transactions?type=transfer&currency=USD&amount_min=1000&limit=50',
    },
  ];
}

async function measure(baseUrl: string, authorization: string, pool: Pool): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  const get = async (path: string) => {
    const res = await fetch(`${baseUrl}${path}`, { headers: { authorization } });
    const body = await res.arrayBuffer();
    if (res.status !== 200)
      throw new Error(`GET ${path}: ${res.status} ${Buffer.from(body).toString().slice(0, 300)}`);
    return body.byteLength;
  };
  for (const scenario of await scenarios(pool)) {
    for (let i = 0; i < warmupRequests; i++) await get(scenario.path);
    const latencies: number[] = [];
    for (let i = 0; i < requests; i++) {
      const started = performance.now();
      await get(scenario.path);
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    results[scenario.name] = {
      p50_ms: round(percentile(latencies, 50)),
      p99_ms: round(percentile(latencies, 99)),
      max_ms: round(latencies.at(-1) ?? 0),
    };
    log(`${scenario.name}: ${JSON.stringify(results[scenario.name])}`);
  }
  // One export of a week of KES deposits, as finance would pull it.
  const exportPath = `/v1/operator/transactions/export?format=csv&currency=KES&type=deposit&created_from=${new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10)}`;
  const csv = await timed(() => get(exportPath));
  results.export_csv_week = { ms: csv.ms, bytes: csv.value };
  return results;
}
