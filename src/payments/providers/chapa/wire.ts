/**
 * Chapa v1 as it is on the wire (developer.chapa.co, the official CLI and the community Node SDK).
 * Every answer is `{message, status: "success" | "failed", data}`; `message` is a string, or for
 * validation errors an object of field → messages (Laravel style). Amounts go out as decimal strings
 * in major units; they come back as strings in webhooks and as numbers in verify answers, so readers
 * accept both.
 */

/** Chapa's envelope for every API answer, errors included. */
export interface ChapaEnvelope<T> {
  readonly message: string | Readonly<Record<string, readonly string[] | string>>;
  readonly status: 'success' | 'failed' | string;
  readonly data: T;
}

/** `POST /v1/transaction/initialize` */
export interface ChapaInitializeRequest {
  /** Major units as a decimal string: "12.34". */
  readonly amount: string;
  readonly currency: string;
  readonly email?: string;
  readonly first_name?: string;
  readonly last_name?: string;
  /** Ethiopian local format: 09xxxxxxxx or 07xxxxxxxx. */
  readonly phone_number?: string;
  /** Our reference; Chapa refuses one it has seen before. */
  readonly tx_ref: string;
  readonly callback_url?: string;
  readonly return_url?: string;
  readonly customization?: { readonly title?: string; readonly description?: string; readonly logo?: string };
  readonly meta?: Readonly<Record<string, unknown>>;
}

export type ChapaInitializeResponse = ChapaEnvelope<{ readonly checkout_url: string } | null>;

/** Transaction states Chapa reports in verify answers and charge webhooks. */
export type ChapaChargeStatus = 'pending' | 'success' | 'failed' | 'cancelled' | 'refunded' | 'reversed';

/** `GET /v1/transaction/verify/{tx_ref}` → `data`. */
export interface ChapaTransaction {
  readonly first_name: string | null;
  readonly last_name: string | null;
  readonly email: string | null;
  readonly currency: string;
  readonly amount: number | string;
  readonly charge: number | string | null;
  readonly mode: 'test' | 'live';
  readonly method: string | null;
  readonly type: string;
  readonly status: ChapaChargeStatus | string;
  /** Chapa's own reference for the transaction ("APezQ1KKswbb"). */
  readonly reference: string | null;
  readonly tx_ref: string;
  readonly customization: {
    readonly title: string | null;
    readonly description: string | null;
    readonly logo: string | null;
  };
  readonly meta: unknown;
  readonly created_at: string;
  readonly updated_at: string;
}

/** `GET /v1/banks` → `data[]`. `id` is the `bank_code` transfers take. */
export interface ChapaBank {
  readonly id: number;
  readonly slug?: string;
  readonly swift: string;
  readonly name: string;
  readonly acct_length: number;
  readonly country_id: number;
  readonly is_mobilemoney: number | boolean | null;
  readonly is_active: number | boolean | null;
  readonly is_rtgs: number | boolean | null;
  readonly is_24hrs: number | boolean | null;
  readonly currency: string;
  readonly created_at: string;
  readonly updated_at: string;
}

/** `POST /v1/transfers` */
export interface ChapaTransferRequest {
  readonly account_name: string;
  readonly account_number: string;
  /** Major units as a decimal string. */
  readonly amount: string;
  readonly currency: string;
  /** Our reference; a second transfer with it is refused. */
  readonly reference: string;
  /** The bank's `id` from `/v1/banks`, a number. */
  readonly bank_code: number;
}

/** `data` is a plain sentence ("Transfer Queued Successfully"). */
export type ChapaTransferResponse = ChapaEnvelope<string | null>;

export type ChapaTransferStatus = 'pending' | 'success' | 'failed' | 'cancelled' | 'reversed';

/** `GET /v1/transfers/verify/{reference}` → `data`. */
export interface ChapaTransfer {
  readonly account_name: string;
  readonly account_number: string;
  readonly mobile: string | null;
  readonly currency: string;
  readonly amount: number | string;
  readonly charge: number | string;
  readonly mode: 'test' | 'live';
  readonly transfer_method: string;
  readonly narration: string | null;
  readonly chapa_transfer_id: string;
  readonly bank_code: number;
  readonly bank_name: string;
  readonly cross_party_reference: string | null;
  readonly ip_address: string;
  readonly status: ChapaTransferStatus | string;
  /** Our transfer reference. */
  readonly tx_ref: string;
  readonly created_at: string;
  readonly updated_at: string;
}

/** `POST /v1/refund/{chapa reference | tx_ref}`, sent form-encoded as the docs show. */
export interface ChapaRefundRequest {
  readonly reason: string;
  /** Major units; omitted means the whole transaction. */
  readonly amount?: string;
  /** Our refund id: unique within the business. */
  readonly reference?: string;
}

export interface ChapaRefund {
  readonly tx_ref?: string;
  readonly reference?: string;
  readonly chapa_reference?: string;
  readonly amount?: number | string;
  readonly currency?: string;
  readonly status?: string;
}

export type ChapaWebhookEventName =
  | 'charge.success'
  | 'charge.failed'
  | 'charge.cancelled'
  | 'charge.refunded'
  | 'charge.reversed'
  | 'payout.success'
  | 'payout.failed'
  | 'payout.cancelled'
  | 'payout.reversed';

/** A dashboard webhook: flat JSON, no `data` wrapper, signed over the raw body. */
export interface ChapaWebhookBody {
  readonly event: ChapaWebhookEventName | string;
  /** "API", "Payment Link", … for charges; "Payout" for transfers. */
  readonly type?: string;
  readonly first_name?: string | null;
  readonly last_name?: string | null;
  readonly email?: string | null;
  readonly mobile?: string | null;
  readonly account_name?: string;
  readonly account_number?: string;
  readonly bank_id?: number;
  readonly bank_name?: string;
  readonly currency?: string;
  readonly amount?: string | number;
  readonly charge?: string | number | null;
  readonly status?: string;
  readonly mode?: 'test' | 'live';
  /** Charges: Chapa's reference. Payouts: our transfer reference. */
  readonly reference?: string | null;
  /** Charges: our reference. */
  readonly tx_ref?: string;
  /** Payouts: Chapa's id for the transfer. */
  readonly chapa_reference?: string;
  readonly payment_method?: string;
  readonly created_at?: string;
  readonly updated_at?: string;
}

/** Headers Chapa signs webhooks with: both carry hex HMAC-SHA256(webhook secret, raw body). */
export const signatureHeader = 'x-chapa-signature';
export const alternateSignatureHeader = 'chapa-signature';
