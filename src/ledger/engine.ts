import type { Pool, PoolClient } from '../db/pool.ts';
import { ChatPayError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import {
  type AccountState,
  applyBatch,
  type BatchCall,
  type BatchOutcome,
  type BatchState,
} from './apply.ts';
import { KnownAccounts } from './known-accounts.ts';
import {
  type AlongsideRows,
  type BatchKeys,
  batchKeys,
  type ReadTotals,
  readBatch,
  readTotals,
  writeBatch,
} from './store.ts';
import type { Alongside, TransferResult } from './types.ts';

export interface LedgerEngineOptions {
  readonly pool: Pool;
  readonly logger: Logger;
  /** Most transfers in one database transaction. */
  readonly batchTransfersMax: number;
  /** Most transfers waiting for a batch; beyond it `submit` fails fast with `ledger_overloaded`. */
  readonly queueTransfersMax: number;
  /** Batches committing at once, each on its own connection. */
  readonly batchesInFlightMax: number;
  /** Attempts for a batch that lost a race with another process (unique violation, deadlock). */
  readonly conflictRetriesMax?: number;
}

export interface BatchStats {
  readonly calls: number;
  readonly transfers: number;
  readonly created: number;
  readonly durationMs: number;
  /**
   * 1, or more when the batch was retried: from a fresh read after its known totals were stale, or
   * under locks after it lost a race with another writer.
   */
  readonly attempts: number;
  /** The batch committed without reading: its accounts' totals were known (see known-accounts.ts). */
  readonly readSkipped: boolean;
}

/** How an attempt gets the accounts' totals: known to this process, read, or read under locks. */
type Mode = 'known' | 'read' | 'lock';

interface QueuedCall {
  readonly call: BatchCall;
  readonly resolve: (results: TransferResult[]) => void;
  readonly reject: (error: unknown) => void;
}

// A batch is not split across connections below this many transfers: fixed costs would dominate.
const splitMin = 16;
// Past this many calls skipped (because they touch a batch in flight), stop scanning the queue.
const scanSkipsMax = 10_000;

// How long batches take row locks from the start after one lost a race with another writer.
const lockFirstAfterConflictMs = 1_000;
// How long batches read first after known totals turned out stale: another process writes the same
// accounts, so more would be stale too, and each costs a failed write.
const readFirstAfterStaleMs = 1_000;

// Errors after which the same batch, re-read under fresh locks, will succeed: another process
// committed a transfer with one of our ids or resolved one of our pendings first.
const conflictCodes = new Set(['23505', '40P01', '40001']);
// `ledger_write_batch`'s compare-and-set failing: an account's totals changed since they were known.
const staleCode = '40001';

/**
 * Group commit for the ledger. Callers `submit` calls; while a batch is committing, new calls queue,
 * and the next batch takes all of them (up to `batchTransfersMax`). A batch is one transaction: lock
 * the accounts once, validate every transfer on its own in memory, write each touched account once.
 * Throughput therefore grows with concurrency instead of collapsing on a hot account.
 */
export class LedgerEngine {
  readonly #options: LedgerEngineOptions;
  #queue: QueuedCall[] = [];
  readonly #busyAccounts: Set<string>[] = [];
  readonly #listeners = new Set<(stats: BatchStats) => void>();
  #queuedTransfers = 0;
  #inFlight = 0;
  #scheduled = false;
  #closed = false;
  #idle: (() => void)[] = [];
  #lockFirstUntilMs = 0;
  #readFirstUntilMs = 0;
  readonly #known = new KnownAccounts();
  // The database's clock less ours, as of the last read: the time a batch that skips the read uses.
  #clockOffsetMs = 0;
  #lastNowMs = 0;

  constructor(options: LedgerEngineOptions) {
    this.#options = options;
  }

  submit(call: BatchCall): Promise<TransferResult[]> {
    const count = call.transfers.length;
    if (this.#closed) return Promise.reject(new ChatPayError('ledger_closed'));
    if (count > this.#options.batchTransfersMax) {
      return Promise.reject(
        new ChatPayError('ledger_batch_too_large', {
          message: `At most ${this.#options.batchTransfersMax} transfers per call.`,
        }),
      );
    }
    if (count === 0) return Promise.resolve([]);
    if (this.#queuedTransfers + count > this.#options.queueTransfersMax) {
      return Promise.reject(new ChatPayError('ledger_overloaded'));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ call, resolve, reject });
      this.#queuedTransfers += count;
      this.#schedule();
    });
  }

  /** Observes every committed batch (metrics, benchmarks). Returns an unsubscribe function. */
  onBatch(listener: (stats: BatchStats) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops accepting calls and waits for queued and in-flight batches to finish. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#queue.length === 0 && this.#inFlight === 0) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#options.batchesInFlightMax) return;
    this.#scheduled = true;
    // setImmediate, not a microtask: callers whose I/O completes in this turn of the event loop join the batch.
    setImmediate(() => {
      this.#scheduled = false;
      this.#drain();
    });
  }

  #drain(): void {
    while (this.#inFlight < this.#options.batchesInFlightMax && this.#queue.length > 0) {
      const { batch, size, accounts } = this.#takeBatch();
      if (batch.length === 0) return; // everything queued waits on an in-flight batch's accounts
      this.#queuedTransfers -= size;
      this.#inFlight++;
      this.#busyAccounts.push(accounts);
      void this.#run(batch, size).finally(() => {
        this.#inFlight--;
        this.#busyAccounts.splice(this.#busyAccounts.indexOf(accounts), 1);
        if (this.#queue.length > 0) this.#schedule();
        else if (this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve();
      });
    }
  }

  /**
   * Takes queued calls, oldest first. With several connections free, what is queued is spread over
   * them so that batches overlap (one reads while another waits for its commit to reach disk). Calls
   * naming an account of a batch in flight stay queued, so batches of one process never race each
   * other's compare-and-set.
   */
  #takeBatch(): { batch: QueuedCall[]; size: number; accounts: Set<string> } {
    const free = this.#options.batchesInFlightMax - this.#inFlight;
    const max = this.#options.batchTransfersMax;
    const split = Math.max(splitMin, Math.ceil(this.#queuedTransfers / free));
    const taken = this.#take(Math.min(max, split), []);
    // Split only if what is left can really run beside this batch; otherwise it would just wait
    // for this one (a hot account), so it may as well ride along.
    if (free > 1 && split < max && this.#independentTransfers(taken.accounts) < splitMin) {
      const more = this.#take(max - taken.size, []);
      for (const id of more.accounts) taken.accounts.add(id);
      return {
        batch: [...taken.batch, ...more.batch],
        size: taken.size + more.size,
        accounts: taken.accounts,
      };
    }
    return taken;
  }

  /** Moves queued calls that touch none of the busy accounts into a batch of at most `target` transfers. */
  #take(
    target: number,
    alsoBusy: Set<string>[],
  ): { batch: QueuedCall[]; size: number; accounts: Set<string> } {
    const batch: QueuedCall[] = [];
    const accounts = new Set<string>();
    const kept: QueuedCall[] = [];
    let size = 0;
    for (const queued of this.#queue) {
      const count = queued.call.transfers.length;
      const full = batch.length > 0 && size + count > target;
      if (full || kept.length > scanSkipsMax || this.#touchesBusy(queued.call, alsoBusy)) {
        kept.push(queued);
        continue;
      }
      batch.push(queued);
      size += count;
      for (const t of queued.call.transfers) {
        if (typeof t.debitAccountId === 'string') accounts.add(t.debitAccountId);
        if (typeof t.creditAccountId === 'string') accounts.add(t.creditAccountId);
      }
    }
    this.#queue = kept;
    return { batch, size, accounts };
  }

  #independentTransfers(accounts: Set<string>): number {
    let count = 0;
    for (const queued of this.#queue) {
      if (!this.#touchesBusy(queued.call, [accounts])) count += queued.call.transfers.length;
      if (count >= splitMin) break;
    }
    return count;
  }

  #touchesBusy(call: BatchCall, alsoBusy: Set<string>[]): boolean {
    for (const busy of [...this.#busyAccounts, ...alsoBusy]) {
      for (const t of call.transfers) {
        if (busy.has(t.debitAccountId as string) || busy.has(t.creditAccountId as string)) return true;
        // A resolution's accounts are unknown until read: keep it out of overlapping batches.
        if (t.pendingId !== undefined) return true;
      }
    }
    return false;
  }

  async #run(taken: QueuedCall[], takenSize: number): Promise<void> {
    let batch = taken;
    let size = takenSize;
    let calls = batch.map((queued) => queued.call);
    let keys = batchKeys(calls);
    /** Answers some calls of the batch now, and goes on with the rest (false: none left). */
    const drop = (gone: ReadonlySet<QueuedCall>, answer: (queued: QueuedCall) => void): boolean => {
      for (const queued of gone) answer(queued);
      batch = batch.filter((queued) => !gone.has(queued));
      size = batch.reduce((n, queued) => n + queued.call.transfers.length, 0);
      calls = batch.map((queued) => queued.call);
      keys = batchKeys(calls);
      return batch.length > 0;
    };
    const attemptsMax = 1 + (this.#options.conflictRetriesMax ?? 5);
    const startedMs = performance.now();
    // After a race, batches lock from the start for a while: where writers contend, that is cheaper.
    let mode: Mode =
      startedMs < this.#lockFirstUntilMs ? 'lock' : startedMs < this.#readFirstUntilMs ? 'read' : 'known';
    let alongside = calls.some((call) => call.alongside !== undefined);
    for (let attempt = 1; ; attempt++) {
      try {
        const { outcome, readSkipped } = await this.#commit(calls, keys, mode, alongside);
        batch.forEach((queued, i) => {
          queued.resolve(outcome.results[i] as TransferResult[]);
        });
        const stats = {
          calls: calls.length,
          transfers: size,
          created: outcome.created.length,
          durationMs: performance.now() - startedMs,
          attempts: attempt,
          readSkipped,
        };
        for (const listener of this.#listeners) listener(stats);
        return;
      } catch (error) {
        this.#known.forget(keys.accountIds);
        if (error instanceof GateRefused) {
          // Those calls' rows lost (their key was answered first): they are answered, unmade, and
          // the rest goes again. Each refusal takes at least one call out, so this ends.
          const refused = new Set(error.calls.map((i) => batch[i] as QueuedCall));
          const more = drop(refused, (queued) => {
            if (queued.call.alongside) queued.call.alongside.refused = true;
            queued.resolve(queued.call.transfers.map((t) => ({ id: t.id, result: 'alongside_refused' })));
          });
          if (!more) return;
          attempt--;
          continue;
        }
        const code = (error as { code?: string }).code;
        if (code !== undefined && conflictCodes.has(code) && attempt < attemptsMax) {
          if (mode === 'known') {
            // Known totals gone stale (another process wrote), or an id committed before: read afresh.
            if (code === staleCode) this.#readFirstUntilMs = performance.now() + readFirstAfterStaleMs;
            mode = 'read';
            continue;
          }
          this.#lockFirstUntilMs = performance.now() + lockFirstAfterConflictMs;
          mode = 'lock';
          continue;
        }
        if (alongside) {
          // A side table's failure (its function missing, a row it refuses) must not stop money: the
          // transfers go again on their own, and their callers write those rows the ordinary way. The
          // error may as well be the ledger's own (a timeout): then this attempt fails too, as below.
          // Calls gated by their rows can't go without them: they fail now, and their callers retry.
          this.#options.logger.warn(
            { err: error, transfers: size },
            'ledger batch failed with rows alongside; trying again without them',
          );
          alongside = false;
          const gated = new Set(batch.filter((queued) => queued.call.alongside?.gate === true));
          const failure = new ChatPayError('ledger_unavailable', { cause: error });
          if (!drop(gated, (queued) => queued.reject(failure))) return;
          continue;
        }
        this.#options.logger.error({ err: error, transfers: size, attempt }, 'ledger batch failed');
        // Nothing of the batch committed (or, if COMMIT's answer was lost, all of it did): callers
        // retry with the same ids and get `ok` or `exists`.
        const failure = new ChatPayError('ledger_unavailable', { cause: error });
        for (const queued of batch) queued.reject(failure);
        return;
      }
    }
  }

  /**
   * One attempt at a batch. `known`: when this process knows every account's totals and the batch
   * qualifies (see known-accounts.ts), one compare-and-set write (one round trip); otherwise as `read`.
   * `read`, optimistic: read without locks, then the compare-and-set write, which commits on its own
   * (two round trips, no row locks); if another writer raced it, the write fails whole. `lock`: in a
   * transaction that locks the accounts first, so a hot account shared by several processes still
   * makes progress.
   */
  async #commit(
    calls: BatchCall[],
    keys: BatchKeys,
    mode: Mode,
    withAlongside: boolean,
  ): Promise<{ outcome: BatchOutcome; readSkipped: boolean }> {
    const locking = mode === 'lock';
    const client = await this.#options.pool.connect();
    let broken = false;
    try {
      const known = mode === 'known' ? this.#fromKnown(calls, keys) : undefined;
      if (known) {
        const side = withAlongside ? alongsideRows(calls, known.outcome) : undefined;
        // Every account of the batch is touched (each transfer applied ok), so the write checks all.
        await writeBatch(
          client,
          known.outcome.created,
          [...known.state.accounts.values()],
          known.before,
          side?.rows,
        ).catch(side?.refusals ?? rethrow);
        side?.written();
        this.#known.remember(known.state.accounts.values(), Date.now());
        return { outcome: known.outcome, readSkipped: true };
      }
      if (locking) await client.query('BEGIN');
      const state = await readBatch(client, keys, locking);
      this.#clockOffsetMs = state.now.getTime() - Date.now();
      this.#lastNowMs = Math.max(this.#lastNowMs, state.now.getTime());
      const before = readTotals(state.accounts);
      const outcome = applyBatch(calls, state);
      let side: ReturnType<typeof alongsideRows> | undefined;
      if (outcome.created.length > 0) {
        const touched = [...outcome.touched].map((id) => state.accounts.get(id) as AccountState);
        side = withAlongside ? alongsideRows(calls, outcome) : undefined;
        await writeBatch(client, outcome.created, touched, before, side?.rows).catch(
          side?.refusals ?? rethrow,
        );
      }
      if (locking) await client.query('COMMIT');
      side?.written();
      this.#known.remember(state.accounts.values(), Date.now());
      return { outcome, readSkipped: false };
    } catch (error) {
      if (locking) broken = await rollback(client);
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /**
   * The batch applied to the totals this process knows, when it may skip the read: plain transfers
   * only (no resolution, reversal or timeout: those need the read's transfers or clock), every account
   * known and recent, and every transfer applying `ok` (a refusal may come from stale totals).
   */
  #fromKnown(
    calls: readonly BatchCall[],
    keys: BatchKeys,
  ): { state: BatchState; outcome: BatchOutcome; before: ReadTotals } | undefined {
    if (keys.pendingIds.length > 0 || keys.reversesIds.length > 0) return undefined;
    for (const call of calls) {
      if (call.expiring) return undefined;
      for (const t of call.transfers) if (t.timeoutSeconds !== undefined) return undefined;
    }
    const nowMs = Date.now();
    const accounts = this.#known.get(keys.accountIds, nowMs);
    if (!accounts) return undefined;
    // The database's clock as of the last read, never going back within this process.
    this.#lastNowMs = Math.max(this.#lastNowMs, nowMs + this.#clockOffsetMs);
    const state: BatchState = {
      now: new Date(this.#lastNowMs),
      accounts,
      transfers: new Map(),
      resolutions: new Map(),
      reversed: new Set(),
    };
    const before = readTotals(accounts);
    const outcome = applyBatch(calls, state);
    if (!outcome.results.every((results) => results.every((r) => r.result === 'ok'))) return undefined;
    return { state, outcome, before };
  }
}

/**
 * The side tables' rows of a batch's calls, grouped by function, from each call's results; `written`
 * marks their calls once the statement has committed; `refusals` turns a gate function's refusal of
 * some rows into `GateRefused`, naming their calls.
 */
function alongsideRows(
  calls: readonly BatchCall[],
  outcome: BatchOutcome,
): { rows: AlongsideRows[]; written: () => void; refusals: (error: unknown) => never } | undefined {
  const byFn = new Map<string, { rows: (readonly unknown[])[]; calls: number[] }>();
  const made: Alongside[] = [];
  calls.forEach(({ alongside }, i) => {
    const row = alongside?.row(outcome.results[i] ?? []);
    if (!alongside || !row) return;
    const group = byFn.get(alongside.fn);
    if (group) {
      group.rows.push(row);
      group.calls.push(i);
    } else byFn.set(alongside.fn, { rows: [row], calls: [i] });
    made.push(alongside);
  });
  if (made.length === 0) return undefined;
  return {
    rows: [...byFn].map(([fn, { rows }]) => ({ fn, rows })),
    written: () => {
      for (const alongside of made) alongside.written = true;
    },
    refusals: (error) => {
      const refused = (error as { code?: string }).code === gateRefusedCode ? refusedRows(error) : undefined;
      const group = refused && byFn.get(refused.fn);
      const named = group ? refused.rows.map((row) => group.calls[row]) : [];
      const gated = named.filter((i): i is number => i !== undefined && calls[i]?.alongside?.gate === true);
      // Only a gate function's refusal of gate rows it was given; anything else is a failure.
      if (gated.length === 0 || gated.length !== named.length) throw error;
      throw new GateRefused(gated);
    },
  };
}

// A gate function refusing rows (see `Alongside.gate`).
const gateRefusedCode = 'CP409';

/** The calls (positions in the batch) whose gate rows were refused. */
class GateRefused extends Error {
  readonly calls: readonly number[];
  constructor(calls: readonly number[]) {
    super('rows written alongside were refused');
    this.calls = calls;
  }
}

function refusedRows(error: unknown): { fn: string; rows: number[] } | undefined {
  try {
    const detail = JSON.parse(String((error as { detail?: unknown }).detail)) as unknown;
    const { fn, rows } = (detail ?? {}) as { fn?: unknown; rows?: unknown };
    if (typeof fn !== 'string' || !Array.isArray(rows) || !rows.every(Number.isSafeInteger)) return undefined;
    return { fn, rows: rows as number[] };
  } catch {
    return undefined;
  }
}

function rethrow(error: unknown): never {
  throw error;
}

/** Rolls back; returns true when the connection is unusable and must be discarded. */
async function rollback(client: PoolClient): Promise<boolean> {
  try {
    await client.query('ROLLBACK');
    return false;
  } catch {
    return true;
  }
}
