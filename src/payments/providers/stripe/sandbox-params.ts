/**
 * The sandbox's reading of request parameters and its errors, worded and shaped as Stripe's: unknown
 * parameters are refused (a typo in the adapter must fail here, as it would at Stripe), integers are
 * strings of digits, booleans are "true"/"false", metadata has Stripe's limits.
 */
import { randomBytes } from 'node:crypto';
import type { FormObject, FormValue } from './form.ts';
import type { StripeApiError, StripeErrorBody } from './wire.ts';

/** An API answer the sandbox sends: JSON body, status and any extra headers. */
export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A refused request, thrown from anywhere in a handler and answered as Stripe's error body. */
export class ApiError extends Error {
  readonly status: number;
  readonly body: StripeErrorBody;

  constructor(status: number, error: StripeApiError) {
    super(error.message ?? error.type);
    this.status = status;
    this.body = { error };
  }
}

export function invalid(message: string, param?: string, code?: string): ApiError {
  return new ApiError(400, {
    type: 'invalid_request_error',
    message,
    ...(param === undefined ? {} : { param }),
    ...(code === undefined
      ? {}
      : { code, doc_url: `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}` }),
  });
}

export function missing(resource: string, id: string, param: string): ApiError {
  return new ApiError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    doc_url: 'https://stripe.com/docs/error-codes/resource-missing',
    message: `No such ${resource}: '${id.slice(0, 100)}'`,
    param,
  });
}

/** Stripe-like ids: a prefix and random base62 characters. */
export function newId(prefix: string, length = 24): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let id = prefix;
  for (const byte of bytes) id += alphabet[byte % alphabet.length];
  return id;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function rejectUnknown(params: FormObject, allowed: readonly string[]): void {
  for (const key of Object.keys(params)) {
    if (!allowed.includes(key)) throw invalid(`Received unknown parameter: ${key.slice(0, 64)}`, key);
  }
}

export function optionalString(params: FormObject, name: string, maxChars = 5_000): string | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`Invalid string: ${name} must be a string`, name);
  if (value.length > maxChars) throw invalid(`Invalid string: must be at most ${maxChars} characters`, name);
  return value;
}

export function requiredString(params: FormObject, name: string, maxChars = 5_000): string {
  const value = optionalString(params, name, maxChars);
  if (value === undefined || value === '')
    throw invalid(`Missing required param: ${name}.`, name, 'parameter_missing');
  return value;
}

export function optionalInteger(params: FormObject, name: string): number | undefined {
  const value = optionalString(params, name, 20);
  if (value === undefined) return undefined;
  if (!/^-?[0-9]{1,15}$/.test(value)) throw invalid(`Invalid integer: ${value}`, name);
  return Number(value);
}

export function optionalBoolean(params: FormObject, name: string): boolean | undefined {
  const value = optionalString(params, name, 10);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw invalid(`Invalid boolean: ${value}`, name);
  return value === 'true';
}

export function optionalObject(params: FormObject, name: string): FormObject | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (typeof value === 'string' || Array.isArray(value)) throw invalid(`Invalid hash`, name);
  return value;
}

export function optionalList(params: FormObject, name: string): FormValue[] | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw invalid(`Invalid array`, name);
  return value;
}

/** Stripe's metadata limits: 50 keys, keys ≤ 40 characters, values ≤ 500 characters, strings only. */
export function metadataOf(params: FormObject, name = 'metadata'): Record<string, string> {
  const value = params[name];
  if (value === undefined || value === '') return {};
  if (typeof value === 'string' || Array.isArray(value)) throw invalid('Invalid hash', name);
  const entries = Object.entries(value);
  if (entries.length > 50) throw invalid('You can specify up to 50 keys.', name);
  const metadata: Record<string, string> = {};
  for (const [key, item] of entries) {
    if (typeof item !== 'string') throw invalid('Metadata values must be strings.', `${name}[${key}]`);
    if (key.length > 40)
      throw invalid('Metadata keys can be at most 40 characters long.', `${name}[${key.slice(0, 40)}]`);
    if (item.length > 500)
      throw invalid('Metadata values can be at most 500 characters long.', `${name}[${key}]`);
    metadata[key] = item;
  }
  return metadata;
}

/** Lower-case codes, as Stripe wants them; the subset this sandbox presents. */
export const sandboxCurrencies: ReadonlySet<string> = new Set([
  'usd',
  'eur',
  'gbp',
  'kes',
  'ngn',
  'ugx',
  'rwf',
  'tzs',
  'etb',
  'jpy',
]);

/** Stripe's minimum charge where it is a fixed amount in the charge currency. */
const minimumAmount: Readonly<Record<string, number>> = { usd: 50, eur: 50, gbp: 30 };

export function currencyOf(params: FormObject, name = 'currency'): string {
  const currency = requiredString(params, name, 3).toLowerCase();
  if (!sandboxCurrencies.has(currency)) {
    throw invalid(
      `Invalid currency: ${currency}. Stripe currently supports these currencies: ${[...sandboxCurrencies].join(', ')}`,
      name,
    );
  }
  return currency;
}

export function amountOf(params: FormObject, name: string, currency: string): number {
  const amount = optionalInteger(params, name);
  if (amount === undefined) throw invalid(`Missing required param: ${name}.`, name, 'parameter_missing');
  if (amount < 1) throw invalid('This value must be greater than or equal to 1.', name);
  const minimum = minimumAmount[currency];
  if (minimum !== undefined && amount < minimum) {
    throw invalid(
      `Amount must be at least ${minimum} in the smallest ${currency} unit`,
      name,
      'amount_too_small',
    );
  }
  if (amount > 99_999_999)
    throw invalid('Amount must be no more than 99999999 in the smallest unit', name, 'amount_too_large');
  return amount;
}

export function urlOf(params: FormObject, name: string): string | undefined {
  const value = optionalString(params, name, 5_000);
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw invalid('Not a valid URL', name, 'url_invalid');
  }
  return value;
}
