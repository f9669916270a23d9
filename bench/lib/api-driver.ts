/**
 * The load driver of `npm run bench:api`, in its own process so that sending load never competes with
 * the server for an event loop. Receives a DriverConfig over IPC, runs each scenario open-loop, and
 * sends back one ScenarioLine per scenario. Exits if the benchmark that started it goes away.
 */
import { randomBytes } from 'node:crypto';
import { type LoadRequest, type LoadResult, runOpenLoop, timelineSliceMs } from './api-load.ts';
import { describeServer, scrapeCounters, waitForQuiet } from './api-metrics.ts';
import type { DriverConfig, DriverMessage, Endpoint, ScenarioConfig, ScenarioLine } from './api-protocol.ts';
import { round } from './database.ts';

type User = DriverConfig['users'][number];

if (!process.send) {
  process.stderr.write('api driver: run by bench/api.ts, which talks to it over IPC\n');
  process.exit(2);
}
const orphaned = () => process.exit(1);
process.on('disconnect', orphaned);
process.once('message', (config: DriverConfig) => {
  drive(config).then(
    () => {
      process.off('disconnect', orphaned);
      process.disconnect?.();
    },
    (error: unknown) => {
      process.stderr.write(`api driver: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
});

async function drive(config: DriverConfig): Promise<void> {
  for (const scenario of config.scenarios) {
    process.stderr.write(
      `api driver: ${scenario.endpoint} at ${scenario.ratePerS}/s: ${config.warmupMs} ms warm-up, ${config.durationMs} ms measured\n`,
    );
    await waitForQuiet(config.baseUrl);
    const before = await scrapeCounters(config.baseUrl);
    const result = await runOpenLoop({
      baseUrl: config.baseUrl,
      ratePerS: scenario.ratePerS,
      warmupMs: config.warmupMs,
      durationMs: config.durationMs,
      inFlightMax: config.inFlightMax,
      requestTimeoutMs: config.requestTimeoutMs,
      expectedStatus: expectedStatus(scenario.endpoint),
      makeRequest: requestMaker(scenario.endpoint, config.users),
    });
    reportFailures(scenario.endpoint, result);
    if (process.env.BENCH_TIMELINE) reportTimeline(scenario.endpoint, result);
    const server = describeServer(scenario.endpoint, before, await scrapeCounters(config.baseUrl));
    if (server) process.stderr.write(`api driver: ${scenario.endpoint} (with warm-up): ${server}\n`);
    await tell({ type: 'result', line: scenarioLine(scenario, result, config.durationMs) });
  }
  await tell({ type: 'done' });
}

function expectedStatus(endpoint: Endpoint): number {
  return endpoint === 'POST /v1/transfers' ? 201 : 200;
}

function requestMaker(endpoint: Endpoint, users: readonly User[]): (sequence: number) => LoadRequest {
  if (users.length < 2) throw new Error('the driver needs at least two users');
  const pick = () => users[Math.floor(Math.random() * users.length)] as User;
  if (endpoint === 'GET /v1/wallets') {
    return () => ({ method: 'GET', path: '/v1/wallets', headers: { authorization: bearer(pick()) } });
  }
  // Keys unique across runs too, so a replay can never stand in for a transfer.
  const keyPrefix = `bench-${randomBytes(6).toString('hex')}`;
  return (sequence) => {
    const from = pick();
    let to = pick();
    while (to === from) to = pick();
    // 1.00 ETB is below the PIN threshold: no PIN, as for most small payments.
    const body = JSON.stringify({ to: to.id, amount: '1.00', currency: 'ETB' });
    return {
      method: 'POST',
      path: '/v1/transfers',
      headers: {
        authorization: bearer(from),
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'idempotency-key': `${keyPrefix}-${sequence}`,
      },
      body,
    };
  };
}

function bearer(user: User): string {
  return `Bearer ${user.accessToken}`;
}

function scenarioLine(scenario: ScenarioConfig, result: LoadResult, durationMs: number): ScenarioLine {
  const latencyMs = (p: number) => round(result.latencyUs.getValueAtPercentile(p) / 1000);
  return {
    endpoint: scenario.endpoint,
    rate_per_s: scenario.ratePerS,
    achieved_per_s: round(result.completed / (durationMs / 1000), 1),
    p50_ms: latencyMs(50),
    p99_ms: latencyMs(99),
    errors: result.errors,
  };
}

function reportFailures(endpoint: Endpoint, result: LoadResult): void {
  for (const [reason, count] of result.failures) {
    process.stderr.write(`api driver: ${endpoint}: ${count} × ${reason}\n`);
  }
}

function tell(message: DriverMessage): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send?.(message, undefined, {}, (error) => (error ? reject(error) : resolve())),
  );
}

/** BENCH_TIMELINE: the measured window slice by slice (max latency, requests over 50 ms), on stderr. */
function reportTimeline(endpoint: Endpoint, result: LoadResult): void {
  const slices = result.timeline.map(
    (slice, i) =>
      `${((i * timelineSliceMs) / 1000).toFixed(2)}s max ${Math.round(slice.maxUs / 1000)} ms, ${slice.over50msCount}/${slice.count} over 50 ms`,
  );
  const start = new Date(result.windowStartEpochMs).toISOString();
  process.stderr.write(
    `api driver: ${endpoint} timeline (by intended send time, from ${start}, ${result.windowStartEpochMs} ms):\n  ${slices.join('\n  ')}\n`,
  );
}
