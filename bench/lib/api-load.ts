import * as hdr from 'hdr-histogram-js';
import { type Dispatcher, Pool } from 'undici';

export interface LoadRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface LoadOptions {
  readonly baseUrl: string;
  /** Keep-alive connections to the server, as real clients keep (default 256). */
  readonly connections?: number;
  readonly ratePerS: number;
  /** Sent at the full rate before measuring, and not measured: connections, JIT, caches warm up. */
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Beyond this many requests in flight, a request due is counted as an error instead of sent. */
  readonly inFlightMax: number;
  /** A request without a response this long after its intended send time is aborted: an error. */
  readonly requestTimeoutMs: number;
  readonly expectedStatus: number;
  readonly makeRequest: (sequence: number) => LoadRequest;
}

export interface LoadResult {
  /** Responses (any status) that ended inside the measured window: the throughput. */
  readonly completed: number;
  /** Of the requests due in the measured window: wrong status, network error, timeout or over the cap. */
  readonly errors: number;
  /** Microseconds from intended send time to response end, for every measured request answered. */
  readonly latencyUs: hdr.Histogram;
  /** Why the errors happened, for the operator reading stderr. */
  readonly failures: ReadonlyMap<string, number>;
  /** The measured window in slices of `timelineSliceMs`, by intended send time: where a tail came from. */
  readonly timeline: readonly TimelineSlice[];
  /** When the measured window began, in wall-clock milliseconds: to line the timeline up with other traces. */
  readonly windowStartEpochMs: number;
}

export interface TimelineSlice {
  readonly count: number;
  readonly maxUs: number;
  readonly over50msCount: number;
}

export const timelineSliceMs = 250;

const latencyUsMax = 60_000_000;
const sweepIntervalMs = 250;

interface Outcome {
  /** 0 when no complete response arrived. */
  readonly status: number;
  readonly reason?: string;
}

/**
 * Open loop: request i is due at t0 + i / rate whatever the server does, and its latency runs from
 * that intended time, not from when it was actually sent. A server that stalls therefore shows as
 * latency on every request it delays, instead of quietly slowing the sender (coordinated omission).
 */
export async function runOpenLoop(options: LoadOptions): Promise<LoadResult> {
  const latencyUs = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: latencyUsMax,
    numberOfSignificantValueDigits: 3,
  });
  const failures = new Map<string, number>();
  // undici's dispatch, not node:http: on two cores the load generator's own CPU is taken from the
  // server under test (measured roughly: ~180 µs a request against ~320 µs, mostly the kernel's TCP).
  const client = new Pool(options.baseUrl, { connections: options.connections ?? 256, pipelining: 1 });
  const intervalMs = 1000 / options.ratePerS;
  const requestsCount = Math.ceil((options.warmupMs + options.durationMs) / intervalMs);
  const t0Ms = performance.now() + 10;
  const windowStartMs = t0Ms + options.warmupMs;
  const windowEndMs = windowStartMs + options.durationMs;
  const windowStartEpochMs = Math.round(Date.now() + (windowStartMs - performance.now()));
  // Each request in flight, with its intended send time: the sweeper aborts the ones past their timeout.
  const inFlight = new Map<InFlight, number>();
  const expired = new Set<InFlight>();
  let completed = 0;
  let errors = 0;
  const timeline = Array.from({ length: Math.ceil(options.durationMs / timelineSliceMs) }, () => ({
    count: 0,
    maxUs: 0,
    over50msCount: 0,
  }));
  let drained: () => void = () => undefined;

  const fail = (measured: boolean, reason: string) => {
    if (!measured) return;
    errors++;
    failures.set(reason, (failures.get(reason) ?? 0) + 1);
  };

  const fire = (sequence: number, intendedMs: number) => {
    const measured = intendedMs >= windowStartMs;
    if (inFlight.size >= options.inFlightMax) return fail(measured, 'in-flight cap reached');
    const request = options.makeRequest(sequence);
    const flight: InFlight = { controller: undefined };
    send(client, request, flight, (answer) => {
      inFlight.delete(flight);
      // A finished request that kept undici's controller linked the requests after it, so each of the
      // driver's scavenges promoted all of them: at 5,000/s, pauses of 20-55 ms, counted as the
      // server's latency (against a trivial server, p99 44 ms; with this line, 8 ms and 1-3 ms pauses).
      flight.controller = undefined;
      const outcome = expired.delete(flight) ? { status: 0, reason: 'timeout' } : answer;
      const endMs = performance.now();
      if (outcome.status > 0 && endMs >= windowStartMs && endMs < windowEndMs) completed++;
      // A timed-out request took at least this long: leaving it out would flatter the percentiles.
      if (measured && (outcome.status > 0 || outcome.reason === 'timeout')) {
        const us = Math.min(latencyUsMax, Math.max(1, Math.round((endMs - intendedMs) * 1000)));
        latencyUs.recordValue(us);
        const slice = timeline[Math.floor((intendedMs - windowStartMs) / timelineSliceMs)];
        if (slice) {
          slice.count++;
          slice.maxUs = Math.max(slice.maxUs, us);
          if (us > 50_000) slice.over50msCount++;
        }
      }
      if (outcome.status !== options.expectedStatus)
        fail(measured, outcome.reason ?? `HTTP ${outcome.status}`);
      if (inFlight.size === 0) drained();
    });
    inFlight.set(flight, intendedMs);
  };

  const sweeper = setInterval(() => {
    const deadlineMs = performance.now() - options.requestTimeoutMs;
    for (const [flight, intendedMs] of inFlight) {
      if (intendedMs >= deadlineMs || expired.has(flight)) continue;
      expired.add(flight);
      // Not yet on a connection: it is counted as timed out whenever it ends.
      flight.controller?.abort(new Error('timeout'));
    }
  }, sweepIntervalMs);
  try {
    await schedule(t0Ms, intervalMs, requestsCount, fire);
    if (inFlight.size > 0) await new Promise<void>((resolve) => (drained = resolve));
  } finally {
    clearInterval(sweeper);
    await client.close();
  }
  return { completed, errors, latencyUs, failures, timeline, windowStartEpochMs };
}

/**
 * Calls `fire(i, intendedMs)` for every request due, waking when the next one is: timers fire late
 * (at best every millisecond, later when the loop is busy), so each wake sends everything due by then.
 */
function schedule(
  t0Ms: number,
  intervalMs: number,
  requestsCount: number,
  fire: (sequence: number, intendedMs: number) => void,
): Promise<void> {
  return new Promise((resolve) => {
    let next = 0;
    const tick = () => {
      const dueCount = Math.min(requestsCount, Math.floor((performance.now() - t0Ms) / intervalMs) + 1);
      for (; next < dueCount; next++) fire(next, t0Ms + next * intervalMs);
      if (next >= requestsCount) return resolve();
      setTimeout(tick, Math.max(0, t0Ms + next * intervalMs - performance.now()));
    };
    setTimeout(tick, Math.max(0, t0Ms - performance.now()));
  });
}

/** A request on its way; its controller arrives once it is on a connection. */
interface InFlight {
  controller: Dispatcher.DispatchController | undefined;
}

/**
 * One request, through undici's lowest-level API (no promise, no body stream: the driver's cost per
 * request is CPU taken from the server). `done` is called once, when the whole response has arrived
 * or on failure.
 */
function send(client: Pool, request: LoadRequest, flight: InFlight, done: (outcome: Outcome) => void): void {
  let status = 0;
  // The body is kept only to name the error code of a failure.
  let body = '';
  let finished = false;
  const finish = (outcome: Outcome) => {
    if (finished) return;
    finished = true;
    done(outcome);
  };
  client.dispatch(
    { method: request.method, path: request.path, headers: request.headers, body: request.body ?? null },
    {
      onRequestStart(controller) {
        flight.controller = controller;
      },
      onResponseStart(_controller, statusCode) {
        status = statusCode;
      },
      onResponseData(_controller, chunk) {
        if ((status < 200 || status >= 300) && body.length < 2000) body += chunk.toString('utf8');
      },
      onResponseEnd() {
        finish(status >= 200 && status < 300 ? { status } : { status, reason: errorReason(status, body) });
      },
      onResponseError(_controller, error) {
        finish(failure(error as NodeJS.ErrnoException));
      },
    },
  );
}

function failure(error: NodeJS.ErrnoException): Outcome {
  return { status: 0, reason: `network: ${error.code ?? error.message}` };
}

function errorReason(status: number, body: string): string {
  try {
    const code = (JSON.parse(body) as { error?: { code?: string } }).error?.code;
    return code ? `HTTP ${status} ${code}` : `HTTP ${status}`;
  } catch {
    return `HTTP ${status}`;
  }
}
