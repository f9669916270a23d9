import type { Endpoint } from './api-protocol.ts';

/** The `_sum` and `_count` series of the server's Prometheus histograms, by series with labels. */
export type Counters = ReadonlyMap<string, number>;

const scrapeTimeoutMs = 5_000;
const series =
  /^(chatpay_(?:(?:http_request_duration_seconds|ledger_batch_transfers|ledger_batch_duration_seconds)_(?:sum|count)|process_cpu_seconds_total))(\{[^}]*\})?\s+(\S+)$/;

/** The server's cumulative counters now; empty if it has no /metrics (the summary is then skipped). */
export async function scrapeCounters(baseUrl: string): Promise<Counters> {
  try {
    const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(scrapeTimeoutMs) });
    if (!response.ok) return new Map();
    const counters = new Map<string, number>();
    for (const line of (await response.text()).split('\n')) {
      const match = series.exec(line);
      if (match) counters.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
    }
    return counters;
  } catch {
    return new Map();
  }
}

/**
 * What the server saw between two scrapes: its own mean time per request (from routing to reply, so
 * without the time a request waits for a busy event loop) and the ledger's batching. Set beside the
 * client's latencies, it tells queueing in front of the server from work inside it.
 */
export function describeServer(endpoint: Endpoint, before: Counters, after: Counters): string | undefined {
  if (after.size === 0) return undefined;
  const [method, route] = endpoint.split(' ');
  const delta = (name: string, labels: string[]) => {
    let total = 0;
    for (const [key, value] of after) {
      if (key.startsWith(`${name}{`) || key === name) {
        if (labels.every((l) => key.includes(l))) total += value - (before.get(key) ?? 0);
      }
    }
    return total;
  };
  const labels = [`route="${route}"`, `method="${method}"`];
  const requests = delta('chatpay_http_request_duration_seconds_count', labels);
  const requestSeconds = delta('chatpay_http_request_duration_seconds_sum', labels);
  const batches = delta('chatpay_ledger_batch_transfers_count', []);
  const transfers = delta('chatpay_ledger_batch_transfers_sum', []);
  const batchSeconds = delta('chatpay_ledger_batch_duration_seconds_sum', []);
  // The API process's CPU (user + system, every thread) per request: the figure that says whether a
  // change made the server cheaper, where latencies on a shared machine vary from run to run.
  const cpuSeconds = delta('chatpay_process_cpu_seconds_total', []);
  const parts = [
    `server-side mean ${fixed((1000 * requestSeconds) / requests)} ms over ${requests} requests`,
    `API process CPU ${fixed((1e6 * cpuSeconds) / requests)} µs per request`,
  ];
  if (batches > 0) {
    parts.push(
      `ledger ${batches} batches, ${fixed(transfers / batches)} transfers and ${fixed((1000 * batchSeconds) / batches)} ms each`,
    );
  }
  return parts.join('; ');
}

const quietIntervalMs = 1_000;
const quietWaitMaxMs = 60_000;

/**
 * Waits until the server has stopped answering and batching: requests the driver gave up on (timed
 * out, aborted) are still being worked through after a scenario, and would be billed to the next.
 * Gives up after a minute; without /metrics it cannot tell, and returns at once.
 */
export async function waitForQuiet(baseUrl: string): Promise<void> {
  const deadlineMs = performance.now() + quietWaitMaxMs;
  let last = workDone(await scrapeCounters(baseUrl));
  while (last !== undefined && performance.now() < deadlineMs) {
    await new Promise((resolve) => setTimeout(resolve, quietIntervalMs));
    const now = workDone(await scrapeCounters(baseUrl));
    if (now === last) return;
    last = now;
  }
}

// Requests answered (scrapes of /metrics aside: they count themselves) plus ledger batches committed.
function workDone(counters: Counters): number | undefined {
  if (counters.size === 0) return undefined;
  let total = 0;
  for (const [key, value] of counters) {
    const counted =
      key.startsWith('chatpay_http_request_duration_seconds_count') ||
      key.startsWith('chatpay_ledger_batch_transfers_count');
    if (counted && !key.includes('route="/metrics"')) total += value;
  }
  return total;
}

function fixed(value: number): string {
  return Number.isFinite(value) ? value.toFixed(1) : '-';
}
