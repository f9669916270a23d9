/**
 * Pure conversions between Stripe's objects and the adapter contract: amount units, currency case,
 * statuses, failure codes and webhook events. No I/O, so every mapping is unit-tested.
 */
import { findCurrency } from '../../../shared/currencies.ts';
import type { Failure, FailureCode, ProviderStatus, ProviderTransaction, WebhookEvent } from '../provider.ts';
import type {
  StripeCancellationReason,
  StripeCharge,
  StripeCheckoutSession,
  StripeLastPaymentError,
  StripePaymentIntent,
  StripeRefund,
  StripeRefundStatus,
} from './wire.ts';

/** The currencies of our registry that Stripe presents (ZWG and crypto it does not). */
export const stripeCurrencies = ['USD', 'EUR', 'KES', 'NGN', 'UGX', 'RWF', 'TZS', 'ETB'] as const;

/**
 * Stripe's zero-decimal currencies (docs.stripe.com/currencies#zero-decimal). For the currencies we
 * use, Stripe's minor unit equals our registry's (UGX and RWF are zero-decimal in both), so an amount
 * crosses unchanged; the list guards that assumption for any currency added later.
 */
export const stripeZeroDecimal: ReadonlySet<string> = new Set([
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'JPY',
  'KMF',
  'KRW',
  'MGA',
  'PYG',
  'RWF',
  'UGX',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
]);

/** Stripe's largest amount: eight digits in the smallest unit. */
export const stripeAmountMax = 99_999_999n;

/** Decimals Stripe uses for a currency (two unless zero-decimal; none of ours is three-decimal). */
export function stripeDecimals(currency: string): number {
  return stripeZeroDecimal.has(currency.toUpperCase()) ? 0 : 2;
}

/** Our minor units → Stripe's integer amount (as the decimal string the form carries). */
export function toStripeAmount(amountMinor: bigint, currency: string): string {
  const ours = findCurrency(currency.toUpperCase());
  if (!ours) throw new RangeError(`unknown currency ${currency}`);
  const shift = stripeDecimals(currency) - ours.decimals;
  if (shift < 0) throw new RangeError(`${currency} has more decimals than Stripe accepts`);
  if (amountMinor <= 0n) throw new RangeError('amount must be positive');
  const amount = amountMinor * 10n ** BigInt(shift);
  if (amount > stripeAmountMax) throw new RangeError('amount exceeds Stripe’s eight-digit maximum');
  return amount.toString();
}

/** Stripe's integer amount → our minor units; undefined when the value is not a safe integer. */
export function fromStripeAmount(amount: unknown, currency: string): bigint | undefined {
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0) return undefined;
  const ours = findCurrency(currency.toUpperCase());
  if (!ours) return undefined;
  const shift = stripeDecimals(currency) - ours.decimals;
  if (shift < 0) return undefined;
  const divisor = 10n ** BigInt(shift);
  const value = BigInt(amount);
  return value % divisor === 0n ? value / divisor : undefined;
}

/**
 * Decline codes (docs.stripe.com/declines/codes) and error codes (docs.stripe.com/error-codes) in
 * our words. The decline code is the more precise of the two and wins; anything unlisted is a plain
 * decline, with Stripe's own code kept for operators.
 */
const failureByStripeCode: Readonly<Record<string, FailureCode>> = {
  insufficient_funds: 'insufficient_funds',
  processing_error: 'processing_error',
  try_again_later: 'processing_error',
  issuer_not_available: 'processing_error',
  reenter_transaction: 'processing_error',
  approve_with_id: 'processing_error',
  // The payer typed a wrong secret: a PIN or the card's security code.
  incorrect_pin: 'wrong_pin',
  invalid_pin: 'wrong_pin',
  incorrect_cvc: 'wrong_pin',
  invalid_cvc: 'wrong_pin',
  // The card is blocked: retrying with it cannot succeed.
  pin_try_exceeded: 'account_locked',
  lost_card: 'account_locked',
  stolen_card: 'account_locked',
  pickup_card: 'account_locked',
  restricted_card: 'account_locked',
  // 3D Secure failed or the payer abandoned it.
  payment_intent_authentication_failure: 'cancelled_by_payer',
  payment_intent_payment_attempt_expired: 'expired',
  checkout_session_expired: 'expired',
};

export function failureFromStripeError(error: StripeLastPaymentError | null | undefined): Failure {
  const declineCode = typeof error?.decline_code === 'string' ? error.decline_code : undefined;
  const code = typeof error?.code === 'string' ? error.code : undefined;
  const mapped =
    (declineCode && failureByStripeCode[declineCode]) || (code && failureByStripeCode[code]) || 'declined';
  const providerCode = declineCode ?? code;
  return {
    code: mapped,
    ...(providerCode === undefined ? {} : { providerCode }),
    message: typeof error?.message === 'string' ? error.message.slice(0, 300) : 'The card payment failed.',
  };
}

function failureFromCancellation(reason: StripeCancellationReason | null): Failure {
  const code: FailureCode =
    reason === 'abandoned' || reason === 'requested_by_customer'
      ? 'cancelled_by_payer'
      : reason === 'automatic' || reason === 'expired'
        ? 'expired'
        : 'declined';
  return { code, providerCode: reason ?? 'canceled', message: 'The PaymentIntent was canceled.' };
}

export const sessionExpiredFailure: Failure = {
  code: 'expired',
  providerCode: 'checkout_session_expired',
  message: 'The Checkout Session expired before the payer paid.',
};

/** What a PaymentIntent says about the payment. A decline leaves it in `requires_payment_method`. */
export function paymentIntentOutcome(intent: StripePaymentIntent): {
  status: ProviderStatus;
  failure?: Failure;
} {
  switch (intent.status) {
    case 'succeeded':
      return { status: 'succeeded' };
    case 'canceled':
      return { status: 'failed', failure: failureFromCancellation(intent.cancellation_reason) };
    case 'requires_payment_method':
      return intent.last_payment_error
        ? { status: 'failed', failure: failureFromStripeError(intent.last_payment_error) }
        : { status: 'pending' };
    case 'requires_confirmation':
    case 'requires_action':
    case 'processing':
    case 'requires_capture':
      return { status: 'pending' };
    default:
      return { status: 'pending' };
  }
}

export function paymentIntentTransaction(intent: StripePaymentIntent): ProviderTransaction {
  const outcome = paymentIntentOutcome(intent);
  const currency = intent.currency.toUpperCase();
  return {
    status: outcome.status,
    reference: intent.metadata?.reference,
    providerId: intent.id,
    amountMinor: fromStripeAmount(intent.amount, currency),
    currency,
    ...(outcome.failure ? { failure: outcome.failure } : {}),
    ...(intent.latest_charge && outcome.status === 'succeeded' ? { receipt: intent.latest_charge } : {}),
  };
}

/**
 * A Checkout Session's outcome. `intent` is its PaymentIntent when known: a session stays `open`
 * after a declined card (the payer may try another), so the intent's last error is what says failed.
 */
export function sessionTransaction(
  session: StripeCheckoutSession,
  intent?: StripePaymentIntent,
): ProviderTransaction {
  const currency = session.currency?.toUpperCase();
  const base = {
    reference: session.client_reference_id ?? session.metadata?.reference,
    providerId: session.id,
    amountMinor: currency ? fromStripeAmount(session.amount_total, currency) : undefined,
    currency,
  };
  const intentId =
    typeof session.payment_intent === 'string' ? session.payment_intent : session.payment_intent?.id;
  switch (session.status) {
    case 'complete':
      return session.payment_status === 'unpaid'
        ? { ...base, status: 'pending' }
        : { ...base, status: 'succeeded', ...(intentId ? { receipt: intentId } : {}) };
    case 'expired':
      return { ...base, status: 'failed', failure: sessionExpiredFailure };
    default: {
      if (!intent) return { ...base, status: 'pending' };
      const outcome = paymentIntentOutcome(intent);
      return { ...base, status: outcome.status, ...(outcome.failure ? { failure: outcome.failure } : {}) };
    }
  }
}

export function refundStatus(status: StripeRefundStatus): ProviderStatus {
  switch (status) {
    case 'succeeded':
      return 'succeeded';
    case 'failed':
    case 'canceled':
      return 'failed';
    case 'pending':
    case 'requires_action':
      return 'pending';
    default:
      return 'pending';
  }
}

type EventFields = Omit<WebhookEvent, 'eventId' | 'requiresConfirmation'>;

/** One Stripe event in our words (`data.object` already checked to be an object). */
export function eventFields(type: string, object: Record<string, unknown>): EventFields {
  if (type.startsWith('checkout.session.') && object.object === 'checkout.session') {
    const session = object as unknown as StripeCheckoutSession;
    const tx = sessionTransaction(session);
    // The async_payment_* events say the outcome themselves; the session only says `complete`.
    if (type === 'checkout.session.async_payment_failed') {
      return {
        ...tx,
        kind: 'collection',
        status: 'failed',
        failure: failureFromStripeError({ type: 'card_error' }),
      };
    }
    return { kind: 'collection', ...tx };
  }
  if (type.startsWith('payment_intent.') && object.object === 'payment_intent') {
    return { kind: 'collection', ...paymentIntentTransaction(object as unknown as StripePaymentIntent) };
  }
  if (type === 'charge.refunded' && object.object === 'charge') {
    const charge = object as unknown as StripeCharge;
    const currency = charge.currency.toUpperCase();
    // Carries the payment's reference (Stripe copies the intent's metadata onto its charge).
    return {
      kind: 'refund',
      status: 'succeeded',
      reference: charge.metadata?.reference,
      providerId: charge.payment_intent ?? charge.id,
      amountMinor: fromStripeAmount(charge.amount_refunded, currency),
      currency,
    };
  }
  if (type.startsWith('refund.') && object.object === 'refund') {
    const refund = object as unknown as StripeRefund;
    const currency = refund.currency.toUpperCase();
    const status = refundStatus(refund.status);
    return {
      kind: 'refund',
      status,
      reference: refund.metadata?.refund_id,
      providerId: refund.id,
      amountMinor: fromStripeAmount(refund.amount, currency),
      currency,
      ...(status === 'failed'
        ? {
            failure: {
              code: 'processing_error',
              providerCode: refund.failure_reason ?? refund.status,
              message: 'The refund failed.',
            },
          }
        : {}),
    };
  }
  return { kind: 'other', status: 'pending' };
}
