/**
 * `npm run bench:webhooks`: inbound provider webhooks end to end. `chatpay start` runs as its own
 * process (API + job worker) on a fresh PostgreSQL, configured with Stripe credentials whose API is a
 * Stripe sandbox in this process; this process sends Stripe-signed webhooks open-loop at a fixed
 * rate and measures from each one's intended send time. Prints one JSON line per scenario:
 *
 * - `accept`: verified webhooks accepted (verified, stored durably, job queued, answered) per second
 *   at BENCH_WEBHOOK_RATE (default 2000/s). Target ≥ 2,000/s with no errors.
 * - `callback_to_credit`: `checkout.session.completed` for real pending deposits at
 *   BENCH_CREDIT_RATE (default 200/s); latency from the callback's intended send time to the
 *   deposit's `completed_at` (the wallet credited). Target p99 < 500 ms.
 *
 * BENCH_SECONDS (default 10) is each scenario's measured duration; BENCH_DATABASE_URL the PostgreSQL
 * server (default: an embedded one).
 */
import { loadavg } from 'node:os';
import { type StripeSandbox, startStripeSandbox } from '../src/payments/providers/stripe/index.ts';
import { signatureHeader } from '../src/payments/providers/stripe/signature.ts';
import { newId } from '../src/shared/ids.ts';
import { runOpenLoop } from './lib/api-load.ts';
import { closablePool } from './lib/api-pool.ts';
import { startApiServer } from './lib/api-server.ts';
import { registerUsers } from './lib/api-setup.ts';
import { benchDatabase, percentile, round } from './lib/database.ts';

const durationMs = 1000 * setting('BENCH_SECONDS', 10);
const warmupMs = 2_000;
const acceptRatePerS = setting('BENCH_WEBHOOK_RATE', 2000);
const creditRatePerS = setting('BENCH_CREDIT_RATE', 200);
const creditSettleWaitMs = 30_000;

try {
  await main();
} catch (error) {
  process.stderr.write(`bench:webhooks failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
}

async function main(): Promise<void> {
  logLoadAverage();
  const db = await benchDatabase();
  const sandbox = await startStripeSandbox({ payerDelayMs: 0 });
  // The sandbox keeps its events to itself: this process delivers them, at the rate it chooses.
  sandbox.control.setCallbackMode({ type: 'missing' });
  const setup = closablePool(db.url, 4);
  try {
    const server = await startApiServer(db.url.reveal(), { ...sandbox.env, WORKER_CONCURRENCY: '8' });
    try {
      const { template, users } = await creditScenario(server.baseUrl, sandbox, setup.pool);
      await drainJobs(setup.pool);
      await acceptScenario(server.baseUrl, sandbox, setup.pool, template, users);
      await drainJobs(setup.pool);
    } finally {
      await server.stop();
    }
  } finally {
    await setup.close();
    await sandbox.close();
    await db.close();
    logLoadAverage();
  }
}

/**
 * Distinct, correctly signed `checkout.session.completed` events, each for its own pending deposit
 * (inserted directly: creating tens of thousands through the API would take longer than the run), so
 * every accepted webhook is real work for the worker that credits wallets meanwhile.
 */
async function acceptScenario(
  baseUrl: string,
  sandbox: StripeSandbox,
  pool: import('pg').Pool,
  template: StripeEventLike,
  users: readonly { id: string }[],
): Promise<void> {
  const count = Math.ceil(((warmupMs + durationMs) / 1000) * acceptRatePerS);
  const run = newId('b').slice(2, 10);
  const ids = Array.from({ length: count }, (_, i) => `dep_bench${run}${i}`);
  const session = template.data.object as Record<string, unknown>;
  await pool.query(
    `INSERT INTO payments (id, kind, provider, mode, status, user_id, account_id, amount, fee, currency, provider_id,
       payer, requested_by, reconcile_at)
     SELECT id, 'deposit', 'stripe', 'test', 'pending', u, 'wal_' || substr(u, 5) || '_' || $4, $3, 0, $4,
       'cs_bench' || id, '{"email":"payer@example.com"}', u, now() + interval '1 hour'
       FROM unnest($1::text[], $2::text[]) AS t(id, u)`,
    [
      ids,
      ids.map((_, i) => (users[i % users.length] as { id: string }).id),
      String(session.amount_total),
      String(session.currency).toUpperCase(),
    ],
  );
  const secret = sandbox.env.STRIPE_WEBHOOK_SECRET as string;
  const result = await runOpenLoop({
    baseUrl,
    connections: 64,
    ratePerS: acceptRatePerS,
    warmupMs,
    durationMs,
    inFlightMax: 10_000,
    requestTimeoutMs: 30_000,
    expectedStatus: 200,
    makeRequest: (sequence) => {
      const id = ids[sequence] as string;
      const body = JSON.stringify({
        ...template,
        id: newId('evt'),
        data: {
          object: { ...session, id: `cs_bench${id}`, client_reference_id: id, metadata: { reference: id } },
        },
      });
      return {
        method: 'POST',
        path: '/v1/webhooks/stripe',
        headers: {
          'content-type': 'application/json',
          'stripe-signature': signatureHeader(secret, body, Math.floor(Date.now() / 1000)),
        },
        body,
      };
    },
  });
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM webhook_events WHERE provider = 'stripe' AND verified AND body LIKE $1`,
    [`%dep_bench${run}%`],
  );
  printLine({
    scenario: 'accept',
    endpoint: 'POST /v1/webhooks/stripe',
    rate_per_s: acceptRatePerS,
    achieved_per_s: round(result.completed / (durationMs / 1000), 1),
    p50_ms: round(result.latencyUs.getValueAtPercentile(50) / 1000),
    p99_ms: round(result.latencyUs.getValueAtPercentile(99) / 1000),
    errors: result.errors,
    stored: rows[0]?.n ?? 0,
  });
  for (const [reason, n] of result.failures) process.stderr.write(`  accept failure: ${reason} × ${n}\n`);
}

interface StripeEventLike {
  readonly data: { readonly object: unknown };
  readonly [key: string]: unknown;
}

/** Waits until the worker has run every queued job (so one scenario's backlog never slows the next). */
async function drainJobs(pool: import('pg').Pool): Promise<void> {
  const started = performance.now();
  let warned = false;
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE attempts < max_attempts',
    );
    if ((rows[0]?.n ?? 0) === 0) break;
    if (performance.now() - started > 10_000 && !warned) {
      warned = true;
      const failing = await pool.query<{ task_identifier: string; last_error: string; n: number }>(
        `SELECT task_identifier, left(last_error, 200) AS last_error, count(*)::int AS n FROM graphile_worker.jobs
          WHERE last_error IS NOT NULL GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 5`,
      );
      process.stderr.write(
        `bench:webhooks: ${rows[0]?.n} jobs still queued; failing: ${JSON.stringify(failing.rows)}\n`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  process.stderr.write(
    `bench:webhooks: job queue drained in ${Math.round(performance.now() - started)} ms\n`,
  );
}

/** Real deposits through the API, paid on the sandbox, their callbacks sent here at a fixed rate. */
async function creditScenario(
  baseUrl: string,
  sandbox: StripeSandbox,
  pool: import('pg').Pool,
): Promise<{ template: StripeEventLike; users: readonly { id: string }[] }> {
  const count = Math.ceil(((warmupMs + durationMs) / 1000) * creditRatePerS);
  process.stderr.write(`bench:webhooks: creating and paying ${count} deposits\n`);
  const users = await registerUsers(baseUrl, 50);
  // Identity-verified, as people who pay in this volume are: at the unverified level the KYC limits
  // (200 USD a day) refuse the 49th deposit of 12.34 USD, and the benchmark measures webhooks, not limits.
  await pool.query(`UPDATE users SET kyc_level = 'full' WHERE id = ANY($1::text[])`, [
    users.map((u) => u.id),
  ]);
  const deposits: { id: string; session: string }[] = [];
  let next = 0;
  const create = async () => {
    for (let i = next++; i < count; i = next++) {
      const user = users[i % users.length] as { accessToken: string };
      const response = await fetch(`${baseUrl}/v1/deposits`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          provider: 'stripe',
          amount: '12.34',
          currency: 'USD',
          email: 'payer@example.com',
        }),
      });
      if (response.status !== 201)
        throw new Error(`deposit: HTTP ${response.status} ${await response.text()}`);
      const deposit = (await response.json()) as {
        id: string;
        next_action: { type: 'redirect'; url: string };
      };
      await sandbox.control.pay(deposit.next_action, '4242424242424242');
      deposits.push({ id: deposit.id, session: deposit.next_action.url.split('/').at(-1) as string });
    }
  };
  await Promise.all(Array.from({ length: 16 }, create));
  const completedEvents = new Map(
    sandbox.events
      .filter((e) => e.type === 'checkout.session.completed')
      .map((e) => [(e.data.object as { id: string }).id, e]),
  );
  const secret = sandbox.env.STRIPE_WEBHOOK_SECRET as string;
  const sentAtMs = new Map<string, number>();
  const originMs = Date.now() - performance.now();
  const result = await runOpenLoop({
    baseUrl,
    connections: 64,
    ratePerS: creditRatePerS,
    warmupMs,
    durationMs,
    inFlightMax: 10_000,
    requestTimeoutMs: 30_000,
    expectedStatus: 200,
    makeRequest: (sequence) => {
      const deposit = deposits[sequence] as { id: string; session: string };
      const event = completedEvents.get(deposit.session);
      if (!event) throw new Error(`no checkout.session.completed for ${deposit.session}`);
      // Wall-clock intended send time: the server's completed_at is wall-clock too.
      sentAtMs.set(deposit.id, originMs + performance.now());
      const body = JSON.stringify(event);
      return {
        method: 'POST',
        path: '/v1/webhooks/stripe',
        headers: {
          'content-type': 'application/json',
          'stripe-signature': signatureHeader(secret, body, Math.floor(Date.now() / 1000)),
        },
        body,
      };
    },
  });
  const measuredFrom = (warmupMs / 1000) * creditRatePerS;
  const measured = deposits.slice(measuredFrom);
  const latenciesMs = await creditLatencies(pool, measured, sentAtMs);
  printLine({
    scenario: 'callback_to_credit',
    endpoint: 'POST /v1/webhooks/stripe → wallet credited',
    rate_per_s: creditRatePerS,
    achieved_per_s: round(result.completed / (durationMs / 1000), 1),
    p50_ms: round(percentile(latenciesMs, 50)),
    p99_ms: round(percentile(latenciesMs, 99)),
    errors: result.errors + (measured.length - latenciesMs.length),
    credited: latenciesMs.length,
  });
  const template = completedEvents.values().next().value as StripeEventLike | undefined;
  if (!template) throw new Error('the sandbox made no checkout.session.completed event');
  return { template, users };
}

/** Waits for the deposits to be credited, then returns each one's callback-to-credit time, sorted. */
async function creditLatencies(
  pool: import('pg').Pool,
  deposits: readonly { id: string }[],
  sentAtMs: ReadonlyMap<string, number>,
): Promise<number[]> {
  const ids = deposits.map((d) => d.id);
  const deadline = Date.now() + creditSettleWaitMs;
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM payments WHERE id = ANY($1) AND status = 'succeeded'`,
      [ids],
    );
    if ((rows[0]?.n ?? 0) >= ids.length || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const { rows } = await pool.query<{ id: string; completed_ms: string }>(
    `SELECT id, (extract(epoch FROM completed_at) * 1000)::text AS completed_ms FROM payments
      WHERE id = ANY($1) AND status = 'succeeded'`,
    [ids],
  );
  return rows.map((r) => Number(r.completed_ms) - (sentAtMs.get(r.id) as number)).sort((a, b) => a - b);
}

function printLine(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function setting(name: string, defaultValue: number): number {
  const value = Number(process.env[name] ?? defaultValue);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

function logLoadAverage(): void {
  process.stderr.write(
    `bench:webhooks: load average (1, 5, 15 min) ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
}
