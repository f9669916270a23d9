/**
 * The one way the adapter talks to Flutterwave: bearer auth, the `{status, message, data}` envelope
 * unwrapped, and every failure turned into a `ProviderError` whose `providerCode` carries
 * Flutterwave's message (it has no error codes; callers recognise a duplicate reference or an
 * unknown transaction by it). Whether a failed call may be repeated is the caller's to say.
 */
import type { Logger } from '../../../shared/logger.ts';
import type { Secret } from '../../../shared/secret.ts';
import { httpError, type ProviderResponse, providerRequest } from '../http.ts';
import { ProviderError } from '../provider.ts';
import type { FlwEnvelope } from './wire.ts';

export interface FlwCall {
  readonly method: 'GET' | 'POST';
  /** Below `/v3`, e.g. `/transactions/123/verify`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly signal?: AbortSignal | undefined;
  /**
   * Repeating the call cannot move money twice (a read, or a write Flutterwave deduplicates by
   * our reference). When false, a timeout or 5xx is reported as not retryable.
   */
  readonly idempotent: boolean;
}

/** Flutterwave's message, trimmed: it can quote our input back but never our credentials. */
const providerMessageMax = 160;

export class FlwClient {
  readonly #apiBase: string;
  readonly #secretKey: Secret;
  readonly #timeoutMs: number;
  readonly #logger: Logger;

  constructor(options: { apiBase: string; secretKey: Secret; timeoutMs: number; logger: Logger }) {
    this.#apiBase = options.apiBase;
    this.#secretKey = options.secretKey;
    this.#timeoutMs = options.timeoutMs;
    this.#logger = options.logger;
  }

  /** The envelope of a successful answer (`status: "success"`); anything else throws. */
  async call<T>(spec: FlwCall): Promise<FlwEnvelope<T>> {
    const query = spec.query ? `?${new URLSearchParams(spec.query).toString()}` : '';
    let response: ProviderResponse;
    try {
      response = await providerRequest('flutterwave', {
        method: spec.method,
        url: `${this.#apiBase}/v3${spec.path}${query}`,
        headers: { authorization: `Bearer ${this.#secretKey.reveal()}` },
        body: spec.body,
        timeoutMs: this.#timeoutMs,
        signal: spec.signal,
      });
    } catch (error) {
      throw spec.idempotent ? error : notRetryable(error);
    }
    this.#logger.debug({
      provider: 'flutterwave',
      method: spec.method,
      path: spec.path,
      status: response.status,
    });
    const envelope = asEnvelope(response.json);
    if (response.status >= 200 && response.status < 300 && envelope?.status === 'success') {
      return response.json as FlwEnvelope<T>;
    }
    const message = envelope?.message?.slice(0, providerMessageMax);
    if (response.status >= 200 && response.status < 300) {
      throw new ProviderError('flutterwave', 'unavailable', `${spec.path}: answer without status "success"`, {
        retryable: spec.idempotent,
        httpStatus: response.status,
        ...(message ? { providerCode: message } : {}),
      });
    }
    const mapped = httpError('flutterwave', response, message);
    const retryable = mapped.retryable && spec.idempotent;
    throw new ProviderError('flutterwave', mapped.kind, `${spec.path}: ${describe(mapped, message)}`, {
      retryable,
      httpStatus: response.status,
      ...(message ? { providerCode: message } : {}),
    });
  }
}

function describe(error: ProviderError, message: string | undefined): string {
  const base = error.message.replace(/^flutterwave: /, '');
  return message ? `${base}: ${message}` : base;
}

function asEnvelope(json: unknown): { status?: unknown; message?: string; data?: unknown } | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const record = json as Record<string, unknown>;
  return {
    status: record.status,
    ...(typeof record.message === 'string' ? { message: record.message } : {}),
    data: record.data,
  };
}

function notRetryable(error: unknown): unknown {
  if (!(error instanceof ProviderError)) return error;
  return new ProviderError('flutterwave', error.kind, error.message.replace(/^flutterwave: /, ''), {
    retryable: false,
    ...(error.httpStatus === undefined ? {} : { httpStatus: error.httpStatus }),
    cause: error,
  });
}

/** True when Flutterwave refused because it knows no such transaction or transfer. */
export function isNotFound(error: unknown): boolean {
  return (
    error instanceof ProviderError &&
    (error.httpStatus === 400 || error.httpStatus === 404) &&
    /no transaction was found|not found|no transfer/i.test(error.providerCode ?? '')
  );
}

/** True when a transfer was refused because its reference was used before. */
export function isDuplicateReference(error: unknown): boolean {
  return (
    error instanceof ProviderError &&
    error.httpStatus === 400 &&
    /already exists|duplicate/i.test(error.providerCode ?? '')
  );
}
