/**
 * Conversions between Flutterwave's wire values and the adapter contract: amounts (JSON numbers in
 * major units ⇄ bigint minor units, exactly, through decimal strings), statuses and failure reasons.
 * Pure functions; they throw `RangeError` on values they cannot convert and leave the choice of
 * error kind to the caller.
 */
import { findCurrency } from '../../../shared/currencies.ts';
import type { Failure, FailureCode, ProviderStatus } from '../provider.ts';

/** A plain decimal, no sign, no exponent: what `String(number)` gives for an amount in range. */
const wireDecimal = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

function decimalsOf(currency: string): number {
  const found = findCurrency(currency);
  if (!found) throw new RangeError(`unknown currency ${currency}`);
  return found.decimals;
}

/**
 * Flutterwave's amount (a JSON number, or a numeric string as some answers carry) to minor units.
 * `String(n)` is the shortest decimal that reads back as `n`, so `1234.56` gives `"1234.56"`
 * without any float arithmetic; more decimals than the currency has is a wrong amount, not one to
 * round.
 */
export function amountFromWire(value: unknown, currency: string): bigint {
  const decimals = decimalsOf(currency);
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError('amount is not finite');
    text = String(value);
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    throw new RangeError('amount is not a number');
  }
  const match = wireDecimal.exec(text);
  if (!match) throw new RangeError(`amount ${text} is not a plain non-negative decimal`);
  const whole = match[1] ?? '0';
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > decimals) throw new RangeError(`amount ${text} has more than ${decimals} decimals`);
  return BigInt(whole + fraction.padEnd(decimals, '0'));
}

/**
 * Minor units to the JSON number Flutterwave takes. The number is built from the decimal string and
 * checked to read back to the same minor units: beyond ~15 significant digits a double cannot hold
 * the amount exactly, and such an amount is refused rather than sent wrong.
 */
export function amountToWire(minor: bigint, currency: string): number {
  const decimals = decimalsOf(currency);
  if (minor <= 0n) throw new RangeError('amount must be positive');
  const digits = minor.toString().padStart(decimals + 1, '0');
  const text = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  const value = Number(text);
  if (amountFromWire(value, currency) !== minor)
    throw new RangeError('amount cannot be sent exactly as a JSON number');
  return value;
}

/** A charge's `status`. Anything unknown is still in flight: only the documented finals settle. */
export function chargeStatus(status: string): ProviderStatus {
  switch (status.toLowerCase()) {
    case 'successful':
    case 'success':
    case 'completed':
      return 'succeeded';
    case 'failed':
    case 'cancelled':
    case 'error':
      return 'failed';
    default:
      return 'pending';
  }
}

/** A transfer's `status`: NEW and PENDING wait, SUCCESSFUL and FAILED are final. */
export function transferStatus(status: string): ProviderStatus {
  switch (status.toUpperCase()) {
    case 'SUCCESSFUL':
      return 'succeeded';
    case 'FAILED':
      return 'failed';
    default:
      return 'pending';
  }
}

/** A refund's `status`: "completed" refunds are done, "failed" ones are not. */
export function refundStatus(status: string): ProviderStatus {
  switch (status.toLowerCase()) {
    case 'completed':
    case 'successful':
      return 'succeeded';
    case 'failed':
      return 'failed';
    default:
      return 'pending';
  }
}

/**
 * Processor responses Flutterwave documents (its test cards and OTPs produce each of them), matched
 * on normalised text: lower case, letters and digits only. Order matters: the first rule that
 * matches wins, so specific phrases come before generic ones.
 */
const chargeRules: readonly (readonly [RegExp, FailureCode])[] = [
  [/insufficient ?funds?|not ?sufficient ?funds/, 'insufficient_funds'],
  [
    /pin ?tries ?exceeded|restricted ?card|retain ?card|pick ?up ?card|lost ?card|stolen ?card|card ?blocked/,
    'account_locked',
  ],
  [/incorrect ?pin|invalid ?pin|wrong ?pin|wrong ?otp|invalid ?otp|incorrect ?otp/, 'wrong_pin'],
  // An expired card is the issuer refusing the card, not the payment running out of time.
  [/expired ?card|card ?expired/, 'declined'],
  [/expired|timed ?out|timeout/, 'expired'],
  [/cancell?ed|aborted|abandoned/, 'cancelled_by_payer'],
  [/did ?not ?respond|unreachable|no ?response ?from ?customer/, 'payer_unreachable'],
  [
    /transaction ?error|system ?malfunction|switch ?inoperative|issuer ?inoperative|processing ?error/,
    'processing_error',
  ],
  [/do ?not ?hono(u)?r|declined|fraud|invalid ?transaction|not ?permitted|mocked ?a ?failed/, 'declined'],
];

const transferRules: readonly (readonly [RegExp, FailureCode])[] = [
  [/insufficient ?funds?|insufficient ?balance/, 'insufficient_funds'],
  [
    /blacklist|invalid ?account|account ?number ?is ?invalid|resolve|beneficiary|no ?such ?account|account ?not ?found/,
    'invalid_destination',
  ],
  [/limit|can ?only ?spend|not ?permitted|declined/, 'declined'],
];

function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

function classify(
  text: string,
  rules: readonly (readonly [RegExp, FailureCode])[],
  fallback: FailureCode,
): FailureCode {
  const plain = normalise(text);
  for (const [pattern, code] of rules) if (pattern.test(plain)) return code;
  return fallback;
}

/** At most this many characters of the provider's words reach our records. */
const providerTextMax = 120;

const failureMessages: Readonly<Record<FailureCode, string>> = {
  insufficient_funds: 'The payer has insufficient funds.',
  cancelled_by_payer: 'The payer cancelled the payment.',
  payer_unreachable: 'The payer could not be reached.',
  wrong_pin: 'The payer entered a wrong PIN or OTP.',
  expired: 'The payment expired before it was completed.',
  account_locked: 'The card or account is blocked.',
  declined: 'The payment was declined.',
  invalid_destination: 'The destination account is invalid.',
  processing_error: 'The provider could not process the payment.',
};

function failure(code: FailureCode, providerText: string | undefined): Failure {
  const text = providerText?.slice(0, providerTextMax);
  return { code, message: failureMessages[code], ...(text ? { providerCode: text } : {}) };
}

/** Why a failed charge failed, from its `processor_response` (and `status` "cancelled"). */
export function chargeFailure(processorResponse: string | undefined, status: string): Failure {
  if (status.toLowerCase() === 'cancelled') return failure('cancelled_by_payer', processorResponse);
  // An unexplained failure is the issuer saying no: the payer can try another card.
  return failure(classify(processorResponse ?? '', chargeRules, 'declined'), processorResponse);
}

/** Why a failed transfer failed, from its `complete_message`. */
export function transferFailure(completeMessage: string | undefined): Failure {
  return failure(classify(completeMessage ?? '', transferRules, 'processing_error'), completeMessage);
}

/** Why Flutterwave refused a transfer outright (a 400 on create), when the message says. */
export function transferRefusal(message: string): Failure | undefined {
  const code = classify(message, transferRules, 'processing_error');
  return code === 'processing_error' ? undefined : failure(code, message);
}

/** Countries whose bank lists `GET /v3/banks/{country}` serves, by the currency paid out there. */
const bankCountryByCurrency: Readonly<Record<string, string>> = {
  NGN: 'NG',
  KES: 'KE',
  UGX: 'UG',
  TZS: 'TZ',
  RWF: 'RW',
};

export function bankCountryOf(currency: string): string | undefined {
  return bankCountryByCurrency[currency];
}

/** Deterministic event id: the same delivery twice gives the same id, a new status a new one. */
export function webhookEventId(event: string, id: unknown, status: unknown): string {
  return `${event}:${String(id)}:${String(status).toLowerCase()}`;
}
