/**
 * Flutterwave v3 as it travels: request bodies we send and answers and webhooks it sends. Amounts are
 * JSON numbers in major units (`1234.56` naira), ids of transactions and transfers are numbers.
 * Fields we do not read are left out; answers are typed loosely (`?`) because they are checked at
 * runtime before use.
 */

/** Every API answer: `status` is "success" or "error"; errors carry `data: null`. */
export interface FlwEnvelope<T> {
  readonly status: 'success' | 'error' | string;
  readonly message: string;
  readonly data: T;
  readonly meta?: { readonly page_info?: { readonly total?: number } };
}

/** `POST /v3/payments` (Flutterwave Standard: a hosted payment link). */
export interface FlwPaymentRequest {
  readonly tx_ref: string;
  readonly amount: number;
  readonly currency: string;
  readonly redirect_url: string;
  readonly customer: { readonly email: string; readonly name?: string; readonly phonenumber?: string };
  readonly customizations?: {
    readonly title?: string;
    readonly description?: string;
    readonly logo?: string;
  };
  readonly meta?: Readonly<Record<string, string>>;
  readonly session_duration?: number;
  readonly max_retry_attempt?: number;
}

export interface FlwPaymentLink {
  readonly link: string;
}

/** A charge, as `verify`, `verify_by_reference` and the `charge.completed` webhook show it. */
export interface FlwTransaction {
  readonly id: number;
  readonly tx_ref: string;
  readonly flw_ref?: string;
  readonly amount: number;
  readonly currency: string;
  readonly charged_amount?: number;
  readonly app_fee?: number;
  readonly merchant_fee?: number;
  /** The issuer's or processor's words: "Approved", "Insufficient Funds", "Do Not Honour" … */
  readonly processor_response?: string;
  readonly auth_model?: string;
  readonly narration?: string;
  /** "successful" | "failed" | "pending" (and "cancelled" for abandoned charges). */
  readonly status: string;
  readonly payment_type?: string;
  readonly created_at?: string;
  readonly account_id?: number;
  readonly customer?: {
    readonly id?: number;
    readonly name?: string | null;
    readonly phone_number?: string | null;
    readonly email?: string;
    readonly created_at?: string;
  };
  readonly card?: {
    readonly first_6digits?: string;
    readonly last_4digits?: string;
    readonly issuer?: string;
    readonly country?: string;
    readonly type?: string;
    readonly expiry?: string;
  };
  readonly meta?: unknown;
}

/** `POST /v3/transfers`. */
export interface FlwTransferRequest {
  readonly account_bank: string;
  readonly account_number: string;
  readonly amount: number;
  readonly currency: string;
  readonly narration: string;
  readonly reference: string;
  readonly callback_url?: string;
  readonly debit_currency?: string;
  readonly beneficiary_name?: string;
  readonly meta?: unknown;
}

/** A transfer: create, `GET /v3/transfers/{id}`, `GET /v3/transfers?reference=` and `transfer.completed`. */
export interface FlwTransfer {
  readonly id: number;
  readonly account_number: string;
  readonly bank_code: string;
  readonly full_name?: string;
  readonly fullname?: string;
  readonly created_at?: string;
  readonly currency: string;
  readonly debit_currency?: string;
  readonly amount: number;
  readonly fee?: number;
  /** "NEW" | "PENDING" | "SUCCESSFUL" | "FAILED". */
  readonly status: string;
  readonly reference: string;
  readonly meta?: unknown;
  readonly narration?: string;
  readonly approver?: unknown;
  /** Why it ended as it did: "Successful", "DISBURSE FAILED: Insufficient funds in customer wallet" … */
  readonly complete_message?: string;
  readonly requires_approval?: number;
  readonly is_approved?: number;
  readonly bank_name?: string;
}

/** `POST /v3/transactions/{id}/refund` body. */
export interface FlwRefundRequest {
  readonly amount?: number;
  readonly comments?: string;
}

export interface FlwRefund {
  readonly id: number;
  readonly account_id?: number;
  readonly tx_id: number;
  readonly flw_ref?: string;
  readonly wallet_id?: number;
  readonly amount_refunded: number;
  /** "completed" | "pending" | "failed" (? Flutterwave documents "completed" for instant refunds). */
  readonly status: string;
  readonly destination?: string;
  readonly meta?: unknown;
  readonly created_at?: string;
}

/** `GET /v3/banks/{country}`. */
export interface FlwBank {
  readonly id: number;
  readonly code: string;
  readonly name: string;
}

/** `POST /v3/accounts/resolve`. */
export interface FlwResolveRequest {
  readonly account_number: string;
  readonly account_bank: string;
}

export interface FlwResolvedAccount {
  readonly account_number: string;
  readonly account_name: string;
}

export type FlwWebhookEventName = 'charge.completed' | 'transfer.completed';

/** A webhook body. Older deliveries name the event only in `event.type` ("Transfer", "CARD_TRANSACTION"). */
export interface FlwWebhook {
  readonly event?: string;
  readonly 'event.type'?: string;
  readonly data: Record<string, unknown>;
}

/** Header carrying the dashboard's secret hash, verbatim. */
export const verifHashHeader = 'verif-hash';
/** Newer header: base64(HMAC-SHA256(secret hash, raw body)). */
export const signatureHeader = 'flutterwave-signature';
