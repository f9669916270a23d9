/**
 * Pure conversions between Daraja's wire shapes and our contract: units (whole shillings), phone
 * numbers, timestamps, the STK password, identifiers derived from our references, and the mapping
 * of every documented result code to our `FailureCode`. No I/O here, so all of it is unit-tested.
 */
import { createHash } from 'node:crypto';
import { type Failure, type FailureCode, ProviderError, type ProviderStatus } from '../provider.ts';
import type { CallbackItem, ErrorBody, ReferenceItem, ResultParameter } from './wire.ts';

export const currency = 'KES';
/** M-Pesa moves whole shillings: 100 minor units. */
export const shillingMinor = 100n;
const eatOffsetMs = 3 * 60 * 60 * 1000;
const accountReferenceLengthMax = 12;
const transactionDescLengthMax = 13;
const remarksLengthMax = 100;
const referencePattern = /^[A-Za-z0-9_-]{1,40}$/;

function invalid(message: string): ProviderError {
  return new ProviderError('mpesa', 'invalid_request', message);
}

/** Minor units of KES to Daraja's whole shillings; refuses cents before any HTTP call. */
export function toShillings(amountMinor: bigint, currencyCode: string): number {
  if (currencyCode !== currency) throw invalid(`M-Pesa takes ${currency} only, not ${currencyCode}`);
  if (amountMinor <= 0n) throw invalid('the amount must be positive');
  if (amountMinor % shillingMinor !== 0n) throw invalid('M-Pesa takes whole shillings: the amount has cents');
  const shillings = amountMinor / shillingMinor;
  if (shillings > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid('the amount is too large');
  return Number(shillings);
}

/** Daraja's shillings (a number, or a numeric string; `1.00` in some callbacks) to minor units. */
export function shillingsToMinor(value: unknown): bigint | undefined {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const match = /^([0-9]{1,15})(?:\.([0-9]{1,2}))?$/.exec(text);
  if (!match) return undefined;
  const [, whole = '0', fraction = ''] = match;
  return BigInt(whole) * shillingMinor + BigInt(fraction.padEnd(2, '0'));
}

/** E.164 Safaricom number (`+254708374149`) to Daraja's MSISDN (`254708374149`). */
export function toMsisdn(phone: string | undefined): string {
  const match = /^\+?(254[17][0-9]{8})$/.exec(phone?.replace(/[\s-]/g, '') ?? '');
  if (!match?.[1]) throw invalid('M-Pesa needs a Kenyan mobile number (+2547XXXXXXXX or +2541XXXXXXXX)');
  return match[1];
}

/** yyyyMMddHHmmss in East Africa Time (UTC+3, no daylight saving), as Daraja expects. */
export function darajaTimestamp(now: Date): string {
  return new Date(now.getTime() + eatOffsetMs).toISOString().replace(/[-T:]/g, '').slice(0, 14);
}

/** The instant a Daraja timestamp names, or undefined when it is not one. */
export function parseDarajaTimestamp(timestamp: string): Date | undefined {
  const match = /^([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})$/.exec(timestamp);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  const utc = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) - eatOffsetMs;
  // Date.UTC rolls 2024-02-31 over into March: a timestamp that does not round-trip is not a date.
  return darajaTimestamp(new Date(utc)) === timestamp ? new Date(utc) : undefined;
}

export function stkPassword(shortcode: string, passkey: string, timestamp: string): string {
  return Buffer.from(`${shortcode}${passkey}${timestamp}`, 'utf8').toString('base64');
}

/**
 * AccountReference (≤ 12 chars, shown to the payer) from our reference: its last 12 letters and
 * digits, the random part of `dep_…` ids. It is not unique: CheckoutRequestID identifies the payment.
 */
export function accountReference(reference: string): string {
  const alphanumeric = reference.replace(/[^A-Za-z0-9]/g, '');
  return alphanumeric.slice(-accountReferenceLengthMax) || 'ChatPay';
}

export function transactionDesc(description: string): string {
  return description.trim().slice(0, transactionDescLengthMax) || 'Payment';
}

export function remarks(description: string): string {
  const text = description.trim().slice(0, remarksLengthMax);
  return text.length >= 2 ? text : 'Payout';
}

/** Our references are 1-40 chars of `[A-Za-z0-9_-]`: anything else is a caller's bug, refused early. */
export function checkReference(reference: string): string {
  if (!referencePattern.test(reference)) {
    throw invalid('the reference must be 1-40 characters of A-Z, a-z, 0-9, _ or -');
  }
  return reference;
}

/** B2C's OriginatorConversationID is our reference itself, so a retry carries the same value. */
export function originatorConversationId(reference: string): string {
  return checkReference(reference);
}

export function referenceFromOriginator(originatorConversationId: string): string | undefined {
  return referencePattern.test(originatorConversationId) ? originatorConversationId : undefined;
}

/** The Transaction Status query's Occasion, echoed in its result, names the payout it was about. */
export const statusOccasionPrefix = 'status:';

/** ResultCodes arrive as numbers or strings ("0", 1032, "SFC_IC0003"): compare them as strings. */
export function resultCodeText(code: unknown): string | undefined {
  if (typeof code === 'number' && Number.isInteger(code)) return String(code);
  if (typeof code === 'string' && /^[A-Za-z0-9_.-]{1,32}$/.test(code)) return code;
  return undefined;
}

const stkFailureCodes: Readonly<Record<string, FailureCode>> = {
  '1': 'insufficient_funds',
  '1032': 'cancelled_by_payer',
  '1037': 'payer_unreachable',
  '1019': 'expired',
  '2001': 'wrong_pin',
  '1001': 'account_locked',
  '17': 'processing_error',
  '26': 'processing_error',
  '1025': 'processing_error',
  '9999': 'processing_error',
};

/** An STK push's final ResultCode: 0 succeeded, anything else failed (unknown codes: declined). */
export function stkOutcome(code: string, description: string): { status: ProviderStatus; failure?: Failure } {
  if (code === '0') return { status: 'succeeded' };
  return {
    status: 'failed',
    failure: { code: stkFailureCodes[code] ?? 'declined', providerCode: code, message: description },
  };
}

const b2cFailureCodes: Readonly<Record<string, FailureCode>> = {
  '1': 'insufficient_funds',
  '2': 'declined',
  '3': 'declined',
  '4': 'declined',
  '5': 'declined',
  '6': 'processing_error',
  '7': 'invalid_destination',
  '8': 'declined',
  '11': 'processing_error',
  '12': 'invalid_destination',
  '13': 'processing_error',
  '14': 'invalid_destination',
  '17': 'processing_error',
  '20': 'processing_error',
  '26': 'processing_error',
  '1019': 'expired',
  '2001': 'processing_error',
  '2040': 'invalid_destination',
  '8006': 'processing_error',
  SFC_IC0003: 'invalid_destination',
};

/**
 * A B2C result's code. 15 ("Duplicate Detected") is not the payout failing: an earlier request with
 * the same OriginatorConversationID decides, so it stays pending (failing it would release the hold
 * of a payout that may have been paid).
 */
export function b2cOutcome(code: string, description: string): { status: ProviderStatus; failure?: Failure } {
  if (code === '0') return { status: 'succeeded' };
  if (code === '15') return { status: 'pending' };
  return {
    status: 'failed',
    failure: { code: b2cFailureCodes[code] ?? 'declined', providerCode: code, message: description },
  };
}

/** The `TransactionStatus` of a Transaction Status result. */
export function transactionStatusOutcome(value: string): { status: ProviderStatus; failure?: Failure } {
  switch (value.toLowerCase()) {
    case 'completed':
      return { status: 'succeeded' };
    case 'expired':
      return {
        status: 'failed',
        failure: { code: 'expired', providerCode: value, message: 'The payout expired.' },
      };
    case 'failed':
    case 'declined':
    case 'cancelled':
    case 'reversed':
      return {
        status: 'failed',
        failure: { code: 'declined', providerCode: value, message: `The payout was ${value}.` },
      };
    default:
      return { status: 'pending' };
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringField(record: Record<string, unknown>, name: string): string | undefined {
  const value = record[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Daraja's error body, when the answer is one. */
export function errorBody(json: unknown): ErrorBody | undefined {
  if (!isRecord(json)) return undefined;
  const errorCode = stringField(json, 'errorCode');
  if (!errorCode) return undefined;
  return {
    requestId: stringField(json, 'requestId') ?? '',
    errorCode,
    errorMessage: stringField(json, 'errorMessage') ?? '',
  };
}

/** A `{Key, Value}` or `{Name, Value}` list that Daraja sends as one object when it has one entry. */
export function listOf(value: unknown): Record<string, unknown>[] {
  const items = Array.isArray(value) ? value : [value];
  return items.filter(isRecord);
}

export function itemValue(
  items: readonly (CallbackItem | ResultParameter | ReferenceItem | Record<string, unknown>)[],
  name: string,
): string | number | undefined {
  for (const item of items) {
    const record = item as Record<string, unknown>;
    if (record.Name === name || record.Key === name) {
      const value = record.Value;
      return typeof value === 'string' || typeof value === 'number' ? value : undefined;
    }
  }
  return undefined;
}

/** A stable digest for ids built from long or odd values (eventIds stay short and printable). */
export function shortDigest(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 22);
}
