/**
 * One full garbage collection once start-up is done, before the API takes traffic.
 *
 * Measured in `bench:api` (V8 13, Node 24): after start-up, every young-generation collection
 * (scavenge) of the API process promoted the objects of the requests served since the previous
 * one, about 1 KB for a `GET /health` and 4–6 KB for a transfer, although they were garbage: 4 MB
 * promoted per scavenge at 2,000 transfers/s, and each scavenge paused the process 8–25 ms instead
 * of ~1–6 ms. Start-up garbage in the old generation (dead there, so only a full collection frees
 * it) still pointed into the young generation, and each request's objects became reachable from
 * the previous ones'. It lasted until V8's first full collection, often 10–20 s of load later, and
 * never returned after it. A forced full collection before the load ended it at once, every time.
 * Which structure links one request's objects to the next was not found (plain `node:http` and a
 * bare Fastify app don't show it); this removes the start-up garbage the chain hangs from.
 *
 * With it, in bench:api at 2,000 transfers/s (two alternating pairs with --trace-gc), the median
 * scavenge pause of the transfer phase fell from 12–15 to 7–8 ms, and the phase's total pause from
 * 350–400 to 200–260 ms. End to end the machine's noise is larger: over five alternating pairs the
 * transfers' median p50 went from 27.5 to 15.9 ms and median p99 from 131 to 105 ms, the ranges
 * overlapping (README, benchmark notes).
 *
 * Still needed once pg's own promise form, which kept finished statements alive, was bypassed
 * (src/db/pool.ts): without this collection, 1.1-1.2 MB promoted per scavenge in the transfer phase,
 * against 71-76 KB with it (two alternating pairs, `--trace-gc-nvp`, 2026-11-24). So that was a
 * different chain.
 *
 * `gc` is not exposed without `--expose-gc`: the flag is set for one new context, whose `gc` then
 * collects the whole heap, and cleared again so that no later context sees it.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export function collectStartupGarbage(): void {
  setFlagsFromString('--expose-gc');
  try {
    const gc = runInNewContext('gc') as () => void;
    gc();
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
