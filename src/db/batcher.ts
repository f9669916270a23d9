/**
 * Group commit for small statements. On this kind of machine a statement's round trip (two system
 * calls each side, a wake-up, PostgreSQL's per-statement work, a WAL flush for a write) costs far
 * more than the row it touches; under load, hundreds of requests a second each paying it is what
 * limits the API. A Batcher gathers the items callers submit while a statement is running and sends
 * them all in the next one (`unnest` over arrays), so the statement count grows with time, not with
 * traffic. Alone, an item waits one turn of the event loop: nothing is delayed on a quiet server.
 *
 * Each caller still waits for its own batch's statement, so a write is durable (or an error is
 * raised) before the caller goes on, exactly as with a statement of its own.
 */
import { ChatPayError } from '../shared/errors.ts';
import type { Pool } from './pool.ts';

export interface BatcherOptions<I, O> {
  /** Runs one batch; returns one result per item, in the items' order. A throw fails the whole batch. */
  readonly run: (items: readonly I[]) => Promise<readonly O[]>;
  /**
   * Runs a batch of one, when given: a scalar statement. PostgreSQL plans a statement over a
   * one-element array afresh on every call (its custom plan always looks cheaper than the cached
   * generic one), so on a quiet server, where every batch is one item, the scalar form saves the plan.
   */
  readonly one?: (item: I) => Promise<O>;
  /** Most items in one statement. */
  readonly batchMax?: number;
  /** Statements running at once (each on its own connection). */
  readonly inFlightMax?: number;
  /** Most items waiting; past it `submit` fails at once with `overloaded()` (default: `server_overloaded`). */
  readonly queueMax?: number;
  readonly overloaded?: () => Error;
  /**
   * When a batch of several fails, run each of its items alone, so that one bad item (a row the
   * database refuses) fails only its own caller. For writes whose items are independent.
   */
  readonly isolateFailures?: boolean;
}

interface Waiting<I, O> {
  readonly item: I;
  readonly resolve: (result: O) => void;
  readonly reject: (error: unknown) => void;
}

const defaults = { batchMax: 500, inFlightMax: 2, queueMax: 50_000 };

export class Batcher<I, O> {
  readonly #run: BatcherOptions<I, O>['run'];
  readonly #one: BatcherOptions<I, O>['one'];
  readonly #batchMax: number;
  readonly #inFlightMax: number;
  readonly #queueMax: number;
  readonly #overloaded: () => Error;
  readonly #isolateFailures: boolean;
  #queue: Waiting<I, O>[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(options: BatcherOptions<I, O>) {
    this.#run = options.run;
    this.#one = options.one;
    this.#batchMax = options.batchMax ?? defaults.batchMax;
    this.#inFlightMax = options.inFlightMax ?? defaults.inFlightMax;
    this.#queueMax = options.queueMax ?? defaults.queueMax;
    this.#overloaded = options.overloaded ?? (() => new ChatPayError('server_overloaded'));
    this.#isolateFailures = options.isolateFailures ?? false;
  }

  submit(item: I): Promise<O> {
    if (this.#queue.length >= this.#queueMax) return Promise.reject(this.#overloaded());
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#inFlightMax) return;
    this.#scheduled = true;
    // setImmediate, not a microtask: callers whose I/O completes in this turn of the loop join in.
    setImmediate(() => {
      this.#scheduled = false;
      this.#drain();
    });
  }

  #drain(): void {
    while (this.#inFlight < this.#inFlightMax && this.#queue.length > 0) {
      // Everything waiting goes in one statement; another connection takes only what arrives while
      // it runs. Splitting the waiting items over free connections (as this once did) sent twice the
      // statements for the same rows: each costs both processes a round trip, and PostgreSQL a commit.
      const batch = this.#queue.splice(0, this.#batchMax);
      this.#inFlight++;
      void this.#execute(batch).finally(() => {
        this.#inFlight--;
        if (this.#queue.length > 0) this.#schedule();
      });
    }
  }

  async #execute(batch: Waiting<I, O>[]): Promise<void> {
    try {
      await this.#settle(batch);
    } catch (error) {
      if (!this.#isolateFailures || batch.length === 1) {
        for (const w of batch) w.reject(error);
        return;
      }
      for (const w of batch) {
        await this.#settle([w]).catch((alone: unknown) => w.reject(alone));
      }
    }
  }

  async #settle(batch: Waiting<I, O>[]): Promise<void> {
    const [only] = batch;
    if (only && batch.length === 1 && this.#one) {
      only.resolve(await this.#one(only.item));
      return;
    }
    const results = await this.#run(batch.map((w) => w.item));
    if (results.length !== batch.length) {
      throw new Error(`a batch of ${batch.length} gave ${results.length} results`);
    }
    batch.forEach((w, i) => {
      w.resolve(results[i] as O);
    });
  }
}

const perPool = new WeakMap<Pool, Map<string, Batcher<unknown, unknown>>>();

/**
 * The one batcher named `name` on `pool`, made by `create` on first use: code that is handed a pool
 * shares its batches with every other caller of the same statement on that pool.
 */
export function batcherFor<I, O>(pool: Pool, name: string, create: () => Batcher<I, O>): Batcher<I, O> {
  let batchers = perPool.get(pool);
  if (!batchers) {
    batchers = new Map();
    perPool.set(pool, batchers);
  }
  let batcher = batchers.get(name) as Batcher<I, O> | undefined;
  if (!batcher) {
    batcher = create();
    batchers.set(name, batcher as Batcher<unknown, unknown>);
  }
  return batcher;
}
