/**
 * Stripe's objects as the API sends them (the fields ChatPay reads or the sandbox must send).
 * Amounts are integers in the currency's smallest unit as Stripe counts it; currencies are lower-case
 * ISO codes; times are Unix seconds. Requests are form-encoded (see form.ts), answers JSON.
 */

/** The API version the adapter pins and the sandbox speaks (the one stripe-node 23.1.0 pins). */
export const stripeApiVersion = '2026-10-28.endive';

export type StripeErrorType =
  | 'api_error'
  | 'card_error'
  | 'idempotency_error'
  | 'invalid_request_error'
  | 'rate_limit_error'
  | 'authentication_error';

/** The body of every non-2xx answer: `{"error": {...}}`. */
export interface StripeErrorBody {
  readonly error: StripeApiError;
}

export interface StripeApiError {
  readonly type: StripeErrorType;
  readonly message?: string;
  readonly code?: string;
  readonly decline_code?: string;
  readonly param?: string;
  readonly doc_url?: string;
  /** Card errors on a PaymentIntent carry the intent as it now is. */
  readonly payment_intent?: StripePaymentIntent;
  readonly charge?: string;
}

/** Why the last attempt on a PaymentIntent failed (`type` is `card_error` for declines). */
export interface StripeLastPaymentError {
  readonly type: StripeErrorType;
  readonly code?: string;
  readonly decline_code?: string;
  readonly message?: string;
  readonly doc_url?: string;
  readonly charge?: string;
  readonly payment_method?: StripePaymentMethod;
}

export type StripePaymentIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'canceled'
  | 'succeeded';

export type StripeCancellationReason =
  | 'abandoned'
  | 'automatic'
  | 'duplicate'
  | 'expired'
  | 'failed_invoice'
  | 'fraudulent'
  | 'requested_by_customer'
  | 'void_invoice';

export interface StripePaymentIntent {
  readonly id: string;
  readonly object: 'payment_intent';
  readonly amount: number;
  readonly amount_capturable: number;
  readonly amount_received: number;
  readonly currency: string;
  readonly status: StripePaymentIntentStatus;
  readonly metadata: Readonly<Record<string, string>>;
  readonly last_payment_error: StripeLastPaymentError | null;
  readonly latest_charge: string | null;
  readonly payment_method: string | null;
  readonly payment_method_types: readonly string[];
  readonly cancellation_reason: StripeCancellationReason | null;
  readonly canceled_at: number | null;
  readonly capture_method: 'automatic' | 'automatic_async' | 'manual';
  readonly confirmation_method: 'automatic' | 'manual';
  readonly client_secret: string;
  readonly created: number;
  readonly description: string | null;
  readonly livemode: boolean;
  readonly next_action: StripeNextAction | null;
  readonly receipt_email: string | null;
}

export interface StripeNextAction {
  readonly type: 'use_stripe_sdk' | 'redirect_to_url';
  readonly use_stripe_sdk?: Readonly<Record<string, string>>;
  readonly redirect_to_url?: { readonly url: string; readonly return_url: string | null };
}

export interface StripePaymentMethod {
  readonly id: string;
  readonly object: 'payment_method';
  readonly type: 'card';
  readonly card: {
    readonly brand: string;
    readonly last4: string;
    readonly exp_month: number;
    readonly exp_year: number;
  };
  readonly created: number;
  readonly livemode: boolean;
}

export type StripeCheckoutStatus = 'open' | 'complete' | 'expired';
export type StripeCheckoutPaymentStatus = 'paid' | 'unpaid' | 'no_payment_required';

export interface StripeCheckoutSession {
  readonly id: string;
  readonly object: 'checkout.session';
  readonly amount_subtotal: number | null;
  readonly amount_total: number | null;
  readonly currency: string | null;
  readonly client_reference_id: string | null;
  readonly customer_email: string | null;
  readonly customer_details: { readonly email: string | null; readonly name: string | null } | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly mode: 'payment' | 'setup' | 'subscription';
  /** An id, or the object itself when asked with `expand[]=payment_intent`; null until the payer tries to pay. */
  readonly payment_intent: string | StripePaymentIntent | null;
  readonly payment_method_types: readonly string[];
  readonly payment_status: StripeCheckoutPaymentStatus;
  readonly status: StripeCheckoutStatus | null;
  /** The hosted page; null once the session is complete or expired. */
  readonly url: string | null;
  readonly success_url: string | null;
  readonly cancel_url: string | null;
  readonly expires_at: number;
  readonly created: number;
  readonly livemode: boolean;
}

export interface StripeCharge {
  readonly id: string;
  readonly object: 'charge';
  readonly amount: number;
  readonly amount_captured: number;
  readonly amount_refunded: number;
  readonly currency: string;
  readonly captured: boolean;
  readonly paid: boolean;
  readonly refunded: boolean;
  readonly status: 'succeeded' | 'pending' | 'failed';
  readonly payment_intent: string | null;
  readonly payment_method: string | null;
  readonly failure_code: string | null;
  readonly failure_message: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly created: number;
  readonly livemode: boolean;
}

export type StripeRefundStatus = 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';

export interface StripeRefund {
  readonly id: string;
  readonly object: 'refund';
  readonly amount: number;
  readonly currency: string;
  readonly charge: string | null;
  readonly payment_intent: string | null;
  readonly status: StripeRefundStatus;
  readonly failure_reason?: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly reason: string | null;
  readonly created: number;
}

/** A search result page (`GET /v1/payment_intents/search`). */
export interface StripeSearchResult<T> {
  readonly object: 'search_result';
  readonly data: readonly T[];
  readonly has_more: boolean;
  readonly next_page: string | null;
  readonly url: string;
}

/** What a webhook delivers, signed with `Stripe-Signature`. */
export interface StripeEvent<T = unknown> {
  readonly id: string;
  readonly object: 'event';
  readonly api_version: string;
  readonly created: number;
  readonly data: { readonly object: T; readonly previous_attributes?: Readonly<Record<string, unknown>> };
  readonly livemode: boolean;
  readonly pending_webhooks: number;
  readonly request: { readonly id: string | null; readonly idempotency_key: string | null };
  readonly type: string;
}
