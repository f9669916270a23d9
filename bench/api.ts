/**
 * `npm run bench:api`: the HTTP API under open-loop load, end to end. `chatpay start` runs as its own
 * process on a fresh PostgreSQL database; a second process drives it at a fixed arrival rate and
 * measures each request from its intended send time. Prints one JSON line per scenario on stdout;
 * everything else goes to stderr. Targets (reported, not asserted): POST /v1/transfers at 2,000/s
 * with p99 < 50 ms and no errors; GET /v1/wallets at 5,000/s with p99 < 20 ms.
 *
 * BENCH_SECONDS (default 10) is each scenario's measured duration, after BENCH_WARMUP_SECONDS (10) at
 * the full rate that are not measured; BENCH_TRANSFER_RATE (2000) and
 * BENCH_WALLET_RATE (5000) the arrival rates per second; BENCH_USERS (200) the users sending and
 * receiving; BENCH_DATABASE_URL the PostgreSQL server (default: an embedded one).
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Pool } from '../src/db/pool.ts';
import { exited, signalAll, track } from './lib/api-children.ts';
import { closablePool } from './lib/api-pool.ts';
import type { DriverConfig, DriverMessage, ScenarioConfig } from './lib/api-protocol.ts';
import { nodeFlags, profileArgs, startApiServer } from './lib/api-server.ts';
import { fundWallets, ledgerViolations, registerUsers } from './lib/api-setup.ts';
import { type BenchDatabase, benchDatabase } from './lib/database.ts';

const durationMs = 1000 * setting('BENCH_SECONDS', 10);
// A fresh server compiles its hot code with V8's optimizing compiler in a burst about five seconds
// into load (every handler reaches the threshold together at a fixed rate): ~0.9 of a core for a
// quarter of a second, on two cores already 80 % busy. Measured from two seconds in, that start-up
// burst was the tail of nearly every run. A server that has run for ten seconds is past it.
const warmupMs = 1000 * setting('BENCH_WARMUP_SECONDS', 10);
const usersCount = setting('BENCH_USERS', 200);
// Enough for a 100,000-transfer run at 1.00 ETB even if one user sent them all.
const fundingPerUserMinor = 10_000_000n;
// Past this many requests in flight the server is clearly overwhelmed: more are counted as errors
// rather than queued without bound in the driver.
const inFlightMax = 10_000;
const requestTimeoutMs = 30_000;
const scenarios: ScenarioConfig[] = [
  { endpoint: 'POST /v1/transfers', ratePerS: setting('BENCH_TRANSFER_RATE', 2000) },
  { endpoint: 'GET /v1/wallets', ratePerS: setting('BENCH_WALLET_RATE', 5000) },
];
if (usersCount < 2) throw new Error('BENCH_USERS: transfers need at least 2 users');
const driverPath = fileURLToPath(new URL('./lib/api-driver.ts', import.meta.url));

stopOnSignal();
try {
  await main();
} catch (error) {
  process.stderr.write(`bench:api failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
}

async function main(): Promise<void> {
  logLoadAverage();
  const db = await benchDatabase();
  try {
    await benchmark(db);
  } finally {
    await db.close();
    logLoadAverage();
  }
}

async function benchmark(db: BenchDatabase): Promise<void> {
  const setup = closablePool(db.url, 4);
  try {
    // The API alone, as it is deployed behind a load balancer: the job worker's periodic work (the
    // dashboard's aggregation every minute) belongs to `chatpay worker`, not to the API's latency.
    const server = await startApiServer(db.url.reveal(), {}, 'serve');
    try {
      await load(server.baseUrl, setup.pool);
    } finally {
      await server.stop();
    }
    // After the server has stopped: nothing is mid-batch, so every invariant must hold exactly.
    const violations = await ledgerViolations(setup.pool);
    for (const v of violations) process.stderr.write(`WARNING: ledger invariant broken: ${v}\n`);
  } finally {
    await setup.close();
  }
}

async function load(baseUrl: string, setupPool: Pool): Promise<void> {
  process.stderr.write(`bench:api: API at ${baseUrl}; registering ${usersCount} users\n`);
  const setupStartedMs = performance.now();
  const users = await registerUsers(baseUrl, usersCount);
  await fundWallets(
    setupPool,
    users.map((u) => u.id),
    fundingPerUserMinor,
  );
  const setupMs = Math.round(performance.now() - setupStartedMs);
  process.stderr.write(`bench:api: ${usersCount} users registered, signed in and funded in ${setupMs} ms\n`);
  await runDriver({ baseUrl, users, scenarios, warmupMs, durationMs, inFlightMax, requestTimeoutMs });
}

/** Runs the load driver to completion, printing each scenario's line as soon as it arrives. */
async function runDriver(config: DriverConfig): Promise<void> {
  const driver = track(
    spawn(process.execPath, [...profileArgs(), ...nodeFlags('BENCH_DRIVER_NODE_ARGS'), driverPath], {
      // Its own process group: Ctrl-C reaches only this process, which then stops the children in order.
      detached: true,
      stdio: ['ignore', 2, 'inherit', 'ipc'],
    }),
  );
  let done = false;
  driver.on('message', (message: DriverMessage) => {
    if (message.type === 'result') process.stdout.write(`${JSON.stringify(message.line)}\n`);
    else done = true;
  });
  // Each scenario ends by itself; this only guards against a driver that hangs. Past the load: the
  // drain (up to the request timeout), waiting for the server to go quiet (up to a minute), scrapes.
  const scenarioMaxMs = warmupMs + durationMs + requestTimeoutMs + 60_000 + 10_000;
  const deadlineMs = scenarios.length * scenarioMaxMs + 30_000;
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench:api: the driver ran past ${deadlineMs} ms; killing it\n`);
    driver.kill('SIGKILL');
  }, deadlineMs);
  try {
    driver.send(config);
    const code = await exited(driver);
    if (!done || code !== 0) {
      throw new Error(`the load driver exited (${code ?? driver.signalCode}) before finishing`);
    }
  } finally {
    clearTimeout(watchdog);
  }
}

/**
 * Ctrl-C or SIGTERM stops the children; the run then fails through its cleanup, which drops the
 * database. A second signal exits at once (the exit hook still kills the children).
 */
function stopOnSignal(): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write(`bench:api: ${signal}: stopping\n`);
    signalAll('SIGTERM');
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** A positive number from the environment, or the default; anything else stops the run before it starts. */
function setting(name: string, defaultValue: number): number {
  const value = Number(process.env[name] ?? defaultValue);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

// Figures from a busy machine mean little: say how busy it was, before and after.
function logLoadAverage(): void {
  const averages = loadavg().map((l) => l.toFixed(2));
  process.stderr.write(`bench:api: load average (1, 5, 15 min) ${averages.join(' ')}\n`);
}
