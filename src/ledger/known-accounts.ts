/**
 * What this process last saw committed of each account, so that a batch of plain transfers between
 * accounts it knows can skip the read and go straight to the compare-and-set write: one round trip
 * instead of two (src/ledger/engine.ts).
 *
 * Why that is safe: the write sets each account's totals only where they still equal what the batch
 * started from, and fails whole otherwise (`ledger_write_batch`), exactly as for a batch that read
 * them a moment before; a transfer id already committed fails the insert. So a batch applied to
 * known totals commits only if those totals were the real ones at the write, and then its outcome is
 * the one a fresh read would have given. The engine takes this path only when every transfer of the
 * batch applies `ok` (a refusal may come from stale totals, so it is re-decided from a fresh read),
 * names no pending transfer or reversal (those need committed transfers the read brings) and sets no
 * timeout (its expiry needs the database's clock); a failed write is retried from a fresh read.
 *
 * Entries older than `maxAgeMs` are not used: where other processes write the same accounts, an old
 * entry is likely stale, and a stale entry costs a failed write.
 */
import type { AccountState } from './apply.ts';

interface Entry {
  state: Readonly<AccountState>;
  atMs: number;
}

export class KnownAccounts {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #maxAgeMs: number;

  constructor(options: { readonly maxEntries?: number; readonly maxAgeMs?: number } = {}) {
    this.#maxEntries = Math.max(1, options.maxEntries ?? 100_000);
    this.#maxAgeMs = options.maxAgeMs ?? 10_000;
  }

  /** Fresh, mutable states of all `ids`, or undefined unless every one is known and recent. */
  get(ids: Iterable<string>, nowMs: number): Map<string, AccountState> | undefined {
    const states = new Map<string, AccountState>();
    for (const id of ids) {
      const entry = this.#entries.get(id);
      if (!entry || nowMs - entry.atMs > this.#maxAgeMs) return undefined;
      states.set(id, { ...entry.state });
    }
    return states;
  }

  /**
   * Records accounts as committed (or just read); past `maxEntries` the entries first recorded go.
   * A known account's entry is updated in place, not deleted and added again: under load that churn
   * makes V8 rebuild the Map's table every few milliseconds, and a dropped table, dead in the old
   * generation, still keeps the entries it points to alive through young-generation collections
   * until the next full one (promoted garbage, and longer scavenge pauses for every request). In
   * bench:api at 2,000 transfers/s, with auditWithLedger no longer holding the request, the bytes
   * promoted per scavenge fell from 1.64-1.70 to 1.39-1.50 MB (three alternating pairs).
   */
  remember(accounts: Iterable<AccountState>, nowMs: number): void {
    for (const a of accounts) {
      const entry = this.#entries.get(a.id);
      if (entry) {
        entry.state = { ...a };
        entry.atMs = nowMs;
      } else {
        this.#entries.set(a.id, { state: { ...a }, atMs: nowMs });
      }
    }
    for (const id of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(id);
    }
  }

  /** Forgets accounts whose committed totals are unknown (a batch on them failed). */
  forget(ids: Iterable<string>): void {
    for (const id of ids) this.#entries.delete(id);
  }
}
