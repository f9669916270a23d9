/**
 * Stripe's idempotency layer (docs.stripe.com/api/idempotent_requests): the status and body of the
 * first request that began executing under a key are stored and replayed for the same key, 500s
 * included; the same key with other parameters or another endpoint is an `idempotency_error`; a
 * request refused by validation stores nothing; keys are at most 255 characters and kept 24 hours.
 */
import type { FormObject, FormValue } from './form.ts';
import { type ApiAnswer, ApiError, invalid } from './sandbox-params.ts';

interface Stored {
  readonly endpoint: string;
  readonly fingerprint: string;
  readonly answer: ApiAnswer;
  readonly storedMs: number;
}

export const idempotencyKeyCharsMax = 255;
const retentionMs = 24 * 3600 * 1000;
/** Bound on memory: past it the oldest keys go first, as if they had aged out. */
const keysMax = 50_000;

export class IdempotencyStore {
  readonly #entries = new Map<string, Stored>();

  /**
   * Answers a POST under `key`: a replay, a conflict, or `execute()`'s answer (stored unless it is a
   * validation failure, i.e. a 4xx other than a card decline).
   */
  run(key: string, endpoint: string, params: FormObject, execute: () => ApiAnswer): ApiAnswer {
    if (key.length > idempotencyKeyCharsMax) {
      throw invalid(
        `Idempotency keys can be at most ${idempotencyKeyCharsMax} characters long.`,
        undefined,
        'idempotency_key_too_long',
      );
    }
    this.#prune();
    const fingerprint = canonical(params);
    const stored = this.#entries.get(key);
    if (stored) {
      if (stored.endpoint !== endpoint) {
        throw idempotencyError(
          `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${stored.endpoint}' vs '${endpoint}'). Try using a key other than '${key}' if you meant to execute a different request.`,
        );
      }
      if (stored.fingerprint !== fingerprint) {
        throw idempotencyError(
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        );
      }
      return {
        ...stored.answer,
        headers: { ...stored.answer.headers, 'idempotent-replayed': 'true' },
      };
    }
    const answer = execute();
    if (storable(answer.status)) {
      this.#entries.set(key, { endpoint, fingerprint, answer, storedMs: Date.now() });
    }
    return answer;
  }

  get size(): number {
    return this.#entries.size;
  }

  #prune(): void {
    const cutoff = Date.now() - retentionMs;
    for (const [key, entry] of this.#entries) {
      // Insertion order is age order: stop at the first key still young and under the bound.
      if (entry.storedMs >= cutoff && this.#entries.size < keysMax) break;
      this.#entries.delete(key);
    }
  }
}

/** Executions that began: successes, card declines (402) and server errors. */
function storable(status: number): boolean {
  return (status >= 200 && status < 300) || status === 402 || status >= 500;
}

function idempotencyError(message: string): ApiError {
  return new ApiError(400, { type: 'idempotency_error', message });
}

/** The parameters in a key-order-independent form: clients may encode them in any order. */
function canonical(value: FormValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key] as FormValue)}`).join(',')}}`;
}
