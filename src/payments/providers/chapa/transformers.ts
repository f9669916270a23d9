/**
 * Pure conversions between Chapa's wire shapes and the adapter contract: amount units, phone
 * format, status and failure mapping, bank records. No I/O here, so every rule is unit-tested.
 */
import { findCurrency } from '../../../shared/currencies.ts';
import { formatAmount, parseAmount } from '../../../shared/money.ts';
import type { Bank, Failure, ProviderStatus, WebhookEvent } from '../provider.ts';
import type { ChapaBank, ChapaEnvelope, ChapaWebhookEventName } from './wire.ts';

/** Currencies Chapa settles: birr, and US dollars for international cards. */
export const chapaCurrencies = ['ETB', 'USD'] as const;

export function isChapaCurrency(currency: string): boolean {
  return (chapaCurrencies as readonly string[]).includes(currency);
}

/** 1234n ETB → "12.34": Chapa takes major units as a string. */
export function toChapaAmount(amountMinor: bigint, currency: string): string {
  return formatAmount(amountMinor, currency);
}

/**
 * Chapa's amount back to minor units. Webhooks send "12.34", verify sends 12.34 (a JSON number);
 * both are read through their decimal text so no float arithmetic touches money. Undefined when the
 * value is not an amount of that currency.
 */
export function fromChapaAmount(value: unknown, currency: string): bigint | undefined {
  if (!findCurrency(currency)) return undefined;
  let text: string;
  if (typeof value === 'string') text = value.trim();
  else if (typeof value === 'number' && Number.isFinite(value) && value > 0) text = String(value);
  else return undefined;
  // Chapa pads to two places ("100.00") even where that is all zeros; trailing zeros beyond the
  // currency's precision carry no value, so drop them before the exact parse.
  if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  try {
    return parseAmount(text, currency);
  } catch {
    return undefined;
  }
}

/** "+251911234567" → "0911234567"; Chapa wants the local 09/07 form. Others: undefined (omitted). */
export function toChapaPhone(phone: string | undefined): string | undefined {
  if (!phone) return undefined;
  const match = /^\+251([79]\d{8})$/.exec(phone.replace(/[\s-]/g, ''));
  return match ? `0${match[1]}` : undefined;
}

export function splitName(name: string | undefined): { first_name?: string; last_name?: string } {
  const parts = (name ?? '').trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return {};
  const [first, ...rest] = parts;
  return rest.length === 0 ? { first_name: first } : { first_name: first, last_name: rest.join(' ') };
}

const descriptionLengthMax = 100;

/** Chapa refuses a checkout description with anything but letters, digits, `-`, `_`, spaces and dots. */
export function toChapaDescription(text: string): string {
  const cleaned = text
    .replace(/[^A-Za-z0-9\-_. ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return (cleaned || 'Payment').slice(0, descriptionLengthMax);
}

export interface StatusMapping {
  readonly status: ProviderStatus;
  readonly failure?: Failure;
}

/** A collection's state (verify `data.status`, or a charge webhook's `status`). */
export function chargeStatus(status: string): StatusMapping | undefined {
  switch (status.toLowerCase()) {
    case 'pending':
    case 'created':
    case 'initiated':
    case 'processing':
      return { status: 'pending' };
    case 'success':
    case 'successful':
    case 'completed':
    // A refunded charge did succeed: the refund is its own record.
    case 'refunded':
      return { status: 'succeeded' };
    case 'failed':
      return failed('declined', status, 'Chapa reports the payment failed');
    case 'cancelled':
    case 'canceled':
      return failed('cancelled_by_payer', status, 'The payer cancelled on the Chapa checkout');
    case 'reversed':
      return failed('processing_error', status, 'Chapa reversed the payment');
    case 'expired':
      return failed('expired', status, 'The Chapa checkout expired');
    default:
      return undefined;
  }
}

/** A transfer's state (transfer verify `data.status`, or a payout webhook's `status`). */
export function transferStatus(status: string): StatusMapping | undefined {
  switch (status.toLowerCase()) {
    case 'pending':
    case 'queued':
    case 'processing':
    case 'awaiting_approval':
      return { status: 'pending' };
    case 'success':
    case 'successful':
    case 'completed':
      return { status: 'succeeded' };
    case 'failed':
      return failed('processing_error', status, 'Chapa reports the transfer failed');
    case 'cancelled':
    case 'canceled':
      return failed('declined', status, 'The transfer was cancelled (rejected at approval)');
    case 'reversed':
      return failed('processing_error', status, 'The receiving bank reversed the transfer');
    default:
      return undefined;
  }
}

function failed(code: Failure['code'], providerCode: string, message: string): StatusMapping {
  return { status: 'failed', failure: { code, providerCode, message } };
}

export interface EventMapping extends StatusMapping {
  readonly kind: WebhookEvent['kind'];
}

/** What each documented webhook event means to us. Unknown events are kept but move nothing. */
export function webhookEventMapping(event: ChapaWebhookEventName | string): EventMapping {
  switch (event) {
    case 'charge.success':
      return { kind: 'collection', status: 'succeeded' };
    case 'charge.failed':
      return { kind: 'collection', ...(chargeStatus('failed') as StatusMapping) };
    case 'charge.cancelled':
      return { kind: 'collection', ...(chargeStatus('cancelled') as StatusMapping) };
    case 'charge.refunded':
      return { kind: 'refund', status: 'succeeded' };
    case 'payout.success':
      return { kind: 'payout', status: 'succeeded' };
    case 'payout.failed':
      return { kind: 'payout', ...(transferStatus('failed') as StatusMapping) };
    case 'payout.cancelled':
      return { kind: 'payout', ...(transferStatus('cancelled') as StatusMapping) };
    case 'payout.reversed':
      return { kind: 'payout', ...(transferStatus('reversed') as StatusMapping) };
    // A reversal claws back a charge that already succeeded: that is for an operator, not for the
    // collection state machine, so it is stored as `other`.
    case 'charge.reversed':
      return { kind: 'other', status: 'failed' };
    default:
      return { kind: 'other', status: 'pending' };
  }
}

/** Chapa's `message` as one line: validation errors come as `{field: [messages]}`. */
export function messageText(body: unknown): string {
  if (typeof body !== 'object' || body === null) return '';
  const message = (body as Partial<ChapaEnvelope<unknown>>).message;
  if (typeof message === 'string') return message;
  if (typeof message === 'object' && message !== null) {
    return Object.entries(message)
      .map(([field, text]) => `${field}: ${Array.isArray(text) ? text.join(' ') : String(text)}`)
      .join('; ');
  }
  return '';
}

/** The refusal Chapa gives a tx_ref or transfer reference it has seen before. */
export function isDuplicateReference(message: string): boolean {
  return (
    /reference/i.test(message) && /(used before|already been taken|already exists|duplicate)/i.test(message)
  );
}

export function isInsufficientBalance(message: string): boolean {
  return /insufficient/i.test(message);
}

export function isAlreadyRefunded(message: string): boolean {
  return /already (been )?refunded/i.test(message);
}

/** Chapa's field names that, when refused, mean the payout destination is wrong. */
export function isInvalidDestination(message: string): boolean {
  return /(bank_code|account_number|account number|bank code|invalid bank|invalid account)/i.test(message);
}

/** A bank record for the contract: `id` is the `bank_code` transfers take. */
export function bankFromChapa(bank: ChapaBank): Bank {
  return {
    code: String(bank.id),
    name: bank.name,
    currency: bank.currency,
    mobileMoney: bank.is_mobilemoney === true || bank.is_mobilemoney === 1,
  };
}

/** Inactive banks are listed too; only the ones that take transfers are offered. */
export function isActiveBank(bank: ChapaBank): boolean {
  return (
    bank.is_active === null || bank.is_active === undefined || bank.is_active === 1 || bank.is_active === true
  );
}
