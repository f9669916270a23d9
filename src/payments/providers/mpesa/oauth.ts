/**
 * Daraja access tokens: fetched with Basic auth, cached until shortly before they expire (Daraja
 * gives an hour; `expires_in` is a string), shared by concurrent callers so a burst of payments asks
 * for one token, and dropped when Daraja calls one invalid so the next call fetches a fresh one.
 */

import { Secret } from '../../../shared/secret.ts';
import { providerRequest } from '../http.ts';
import { ProviderError } from '../provider.ts';
import { errorBody, isRecord, stringField } from './transformers.ts';

/** Refresh this long before Daraja's expiry, so a token never dies in flight. */
const refreshMarginMs = 60_000;
const lifetimeMsMax = 24 * 60 * 60 * 1000;

export interface TokenSourceOptions {
  readonly apiBase: string;
  readonly consumerKey: Secret;
  readonly consumerSecret: Secret;
  readonly timeoutMs: number;
  readonly now?: () => number;
}

export class TokenSource {
  readonly #options: TokenSourceOptions;
  readonly #now: () => number;
  #cached: { token: Secret; refreshAtMs: number } | undefined;
  #pending: Promise<Secret> | undefined;

  constructor(options: TokenSourceOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The shared fetch takes no caller's AbortSignal: one caller giving up must not fail the others. */
  async get(): Promise<Secret> {
    const cached = this.#cached;
    if (cached && this.#now() < cached.refreshAtMs) return cached.token;
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /** Forgets `token` if it is still the cached one (Daraja refused it). */
  invalidate(token: Secret): void {
    if (this.#cached?.token === token) this.#cached = undefined;
  }

  async #fetch(): Promise<Secret> {
    const { apiBase, consumerKey, consumerSecret, timeoutMs } = this.#options;
    const basic = Buffer.from(`${consumerKey.reveal()}:${consumerSecret.reveal()}`, 'utf8').toString(
      'base64',
    );
    const response = await providerRequest('mpesa', {
      method: 'GET',
      url: `${apiBase}/oauth/v1/generate?grant_type=client_credentials`,
      headers: { authorization: `Basic ${basic}` },
      timeoutMs,
    });
    const error = errorBody(response.json);
    if (response.status >= 500 || response.status === 429) {
      throw new ProviderError('mpesa', 'unavailable', `token request failed (HTTP ${response.status})`, {
        httpStatus: response.status,
        ...(error ? { providerCode: error.errorCode } : {}),
      });
    }
    // Daraja refuses a wrong key or secret with a 400 ("400.008.01 Invalid Authentication passed").
    if (response.status < 200 || response.status >= 300) {
      throw new ProviderError('mpesa', 'auth', `consumer key or secret refused (HTTP ${response.status})`, {
        httpStatus: response.status,
        ...(error ? { providerCode: error.errorCode } : {}),
      });
    }
    const json = response.json;
    const accessToken = isRecord(json) ? stringField(json, 'access_token') : undefined;
    const expiresIn = isRecord(json) ? Number(json.expires_in) : Number.NaN;
    if (!accessToken || !Number.isFinite(expiresIn) || expiresIn <= 0) {
      throw new ProviderError('mpesa', 'unavailable', 'malformed token answer', {
        httpStatus: response.status,
      });
    }
    const lifetimeMs = Math.min(expiresIn * 1000, lifetimeMsMax);
    const token = new Secret(accessToken);
    this.#cached = { token, refreshAtMs: this.#now() + Math.max(0, lifetimeMs - refreshMarginMs) };
    return token;
  }
}
