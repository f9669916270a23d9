/**
 * The provider adapter contract. Each payment provider (M-Pesa, Chapa, Flutterwave, Stripe, …) lives
 * in its own folder with an adapter implementing `PaymentProvider`, its wire types and transformers,
 * its options (environment variables) and a sandbox: a local HTTP server speaking the provider's real
 * protocol. The registry (`registry.ts`) is one literal of `ProviderDefinition`s; adding a provider
 * touches its folder and that literal, nothing else.
 *
 * Amounts cross this boundary as integer minor units (`bigint`) of a currency in our registry; each
 * adapter converts to and from the provider's units (whole shillings, decimal strings, cents …).
 */
import type { TObject } from '@sinclair/typebox';
import type { Logger } from '../../shared/logger.ts';

export const providerIds = ['mpesa', 'chapa', 'flutterwave', 'stripe'] as const;
export type ProviderId = (typeof providerIds)[number];

/** `test`: the provider's sandbox or test environment (test money). `live`: real money. */
export type ProviderMode = 'test' | 'live';

/** What the provider says about a collection or payout. */
export type ProviderStatus = 'pending' | 'succeeded' | 'failed';

/** Why a collection or payout failed, in our words (each adapter maps the provider's codes). */
export const failureCodes = [
  'insufficient_funds',
  'cancelled_by_payer',
  'payer_unreachable',
  'wrong_pin',
  'expired',
  'account_locked',
  'declined',
  'invalid_destination',
  'processing_error',
] as const;
export type FailureCode = (typeof failureCodes)[number];

export interface Failure {
  readonly code: FailureCode;
  /** The provider's own code and text, for operators (never secret). */
  readonly providerCode?: string;
  readonly message: string;
}

export type PaymentMethod = 'mobile_money' | 'card' | 'bank_transfer';

export interface ProviderCapabilities {
  readonly currencies: readonly string[];
  /** ISO 3166-1 alpha-2 countries served. */
  readonly countries: readonly string[];
  readonly methods: readonly PaymentMethod[];
  /** What a collection needs to identify the payer: a phone (STK push) or an email (hosted checkout). */
  readonly collectWith: 'phone' | 'email';
  readonly collect: boolean;
  /** Payouts to individuals (mobile money or bank). Stripe: false. */
  readonly payout: boolean;
  readonly payoutDestinations: readonly ('phone' | 'bank')[];
  readonly refund: boolean;
  /** `getStatus` can ask the provider about a transaction (reconciliation relies on it). */
  readonly status: boolean;
  /** `listBanks` exists. */
  readonly banks: boolean;
  /** `resolveAccount` exists. */
  readonly resolveAccount: boolean;
  /**
   * The smallest amount step in minor units the provider accepts for a currency (M-Pesa takes whole
   * shillings: KES → 100n). Missing: any amount of the currency's precision.
   */
  readonly amountStepMinor?: Readonly<Record<string, bigint>>;
}

export interface CollectionRequest {
  /** Our payment id (`dep_…`/`pay_…`): unique, ≤ 40 chars, `[A-Za-z0-9_-]`. Sent as the provider's reference. */
  readonly reference: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  /** E.164 (`+254708374149`); required when `capabilities.collectWith` is `phone`. */
  readonly phone?: string | undefined;
  readonly email?: string | undefined;
  readonly name?: string | undefined;
  /** Short text shown to the payer. */
  readonly description: string;
  /**
   * Our webhook URL for this provider (`<PUBLIC_URL>/v1/webhooks/<provider>`), for protocols that take
   * a per-request callback URL. An adapter whose protocol has no signatures (M-Pesa) appends its
   * secret path token: `<callbackUrl>/<token>`.
   */
  readonly callbackUrl: string;
  /** Where a hosted checkout sends the payer afterwards. */
  readonly returnUrl?: string | undefined;
}

export type NextAction =
  | { readonly type: 'stk_push_sent' }
  | { readonly type: 'redirect'; readonly url: string };

export interface CollectionResult {
  /** The provider's id for the transaction when it gives one now (CheckoutRequestID, pi_…, cs_…). */
  readonly providerId: string | null;
  readonly nextAction: NextAction;
}

export type PayoutDestination =
  | { readonly type: 'phone'; readonly phone: string }
  | {
      readonly type: 'bank';
      readonly bankCode: string;
      readonly accountNumber: string;
      readonly accountName?: string | undefined;
    };

export interface PayoutRequest {
  /** Our withdrawal id (`wd_…`): the provider's reference, which also makes a retried payout safe. */
  readonly reference: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly destination: PayoutDestination;
  readonly description: string;
  /** Our webhook URL, as for collections (M-Pesa's ResultURL and QueueTimeOutURL derive from it). */
  readonly callbackUrl: string;
}

export interface PayoutResult {
  readonly providerId: string | null;
  /** Most payouts are `pending` until a callback; some providers answer at once. */
  readonly status: ProviderStatus;
  readonly failure?: Failure | undefined;
}

export interface StatusQuery {
  readonly kind: 'collection' | 'payout';
  readonly reference: string;
  readonly providerId: string | null;
}

/** The provider's own account of a transaction: reconciliation compares it with ours. */
export interface ProviderTransaction {
  readonly status: ProviderStatus;
  readonly reference?: string | undefined;
  readonly providerId?: string | undefined;
  readonly amountMinor?: bigint | undefined;
  readonly currency?: string | undefined;
  readonly failure?: Failure | undefined;
  /** The provider's receipt (M-Pesa receipt number, Flutterwave flw_ref …). */
  readonly receipt?: string | undefined;
}

export interface RefundRequest {
  /** Our refund id: the provider's idempotency key or reference. */
  readonly refundId: string;
  readonly paymentReference: string;
  readonly providerId: string | null;
  readonly amountMinor: bigint;
  readonly currency: string;
}

export interface RefundResult {
  readonly providerId: string | null;
  readonly status: ProviderStatus;
}

export interface Bank {
  readonly code: string;
  readonly name: string;
  readonly currency?: string | undefined;
  /** Mobile-money wallets listed as banks (Chapa's telebirr, M-Pesa …). */
  readonly mobileMoney?: boolean | undefined;
}

/** An inbound webhook exactly as it arrived. */
export interface WebhookRequest {
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The raw body: signatures are over these bytes, never over re-serialised JSON. */
  readonly rawBody: Buffer;
  /** The secret token from the callback URL path (protocols without signatures: M-Pesa). */
  readonly token?: string | undefined;
}

export interface WebhookEvent {
  /**
   * Unique per provider event: the provider's event id where it has one (Stripe `evt_…`), otherwise
   * derived deterministically from the event's identity (transaction id + status), so the same
   * callback delivered twice gets the same id and is stored once.
   */
  readonly eventId: string;
  readonly kind: 'collection' | 'payout' | 'refund' | 'other';
  /** Our reference, when the event carries it (tx_ref, reference, metadata). */
  readonly reference?: string | undefined;
  /** The provider's transaction id (CheckoutRequestID, ConversationID, pi_…). */
  readonly providerId?: string | undefined;
  readonly status: ProviderStatus;
  readonly amountMinor?: bigint | undefined;
  readonly currency?: string | undefined;
  readonly failure?: Failure | undefined;
  readonly receipt?: string | undefined;
  /**
   * The event is unsigned and must not move money on its word: the engine confirms it with
   * `getStatus` first (M-Pesa).
   */
  readonly requiresConfirmation: boolean;
}

/** How a provider expects its webhook to be answered. */
export interface WebhookReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/**
 * A payment provider. Every method that talks to the provider may throw `ProviderError`; nothing
 * else escapes (a malformed provider answer is `ProviderError('unavailable')`, an HTTP 4xx caused
 * by our request is `invalid_request`, bad credentials `auth`).
 */
export interface PaymentProvider {
  readonly id: ProviderId;
  readonly mode: ProviderMode;
  readonly capabilities: ProviderCapabilities;
  initiateCollection(request: CollectionRequest, signal?: AbortSignal): Promise<CollectionResult>;
  /** Present when `capabilities.payout`. Must be safe to retry with the same reference. */
  initiatePayout?(request: PayoutRequest, signal?: AbortSignal): Promise<PayoutResult>;
  getStatus(query: StatusQuery, signal?: AbortSignal): Promise<ProviderTransaction>;
  /** Present when `capabilities.refund`. */
  refund?(request: RefundRequest, signal?: AbortSignal): Promise<RefundResult>;
  /** Present when `capabilities.banks`. */
  listBanks?(currency: string, signal?: AbortSignal): Promise<Bank[]>;
  /** Present when `capabilities.resolveAccount`: the account holder's name. */
  resolveAccount?(bankCode: string, accountNumber: string, signal?: AbortSignal): Promise<string>;
  /** Throws `WebhookVerificationError` unless the request is authentic (constant-time compares). */
  verifyWebhook(request: WebhookRequest): void;
  /** The events in a verified webhook (usually one). Throws `WebhookVerificationError` on a malformed body. */
  parseWebhook(request: WebhookRequest): WebhookEvent[];
  /** The answer the provider expects (M-Pesa: `{"ResultCode":0,"ResultDesc":"Accepted"}`). */
  readonly webhookReply: WebhookReply;
}

export type ProviderErrorKind = 'declined' | 'timeout' | 'auth' | 'invalid_request' | 'unavailable';

/** A provider call that failed. `retryable` says whether the same call may be repeated safely. */
export class ProviderError extends Error {
  readonly provider: ProviderId;
  readonly kind: ProviderErrorKind;
  readonly retryable: boolean;
  /** HTTP status of the provider's answer, when there was one. */
  readonly httpStatus: number | undefined;
  /** The provider's own error code (never a secret). */
  readonly providerCode: string | undefined;
  readonly failure: Failure | undefined;

  constructor(
    provider: ProviderId,
    kind: ProviderErrorKind,
    message: string,
    options: {
      retryable?: boolean;
      httpStatus?: number;
      providerCode?: string;
      failure?: Failure;
      cause?: unknown;
    } = {},
  ) {
    super(`${provider}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProviderError';
    this.provider = provider;
    this.kind = kind;
    this.retryable = options.retryable ?? (kind === 'timeout' || kind === 'unavailable');
    this.httpStatus = options.httpStatus;
    this.providerCode = options.providerCode;
    this.failure = options.failure;
  }
}

/** A webhook that is not authentic or not well formed. Says why, never echoing secrets. */
export class WebhookVerificationError extends Error {
  readonly reason: 'signature_missing' | 'signature_invalid' | 'timestamp_out_of_tolerance' | 'malformed';

  constructor(reason: WebhookVerificationError['reason'], message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
    this.reason = reason;
  }
}

/** What an adapter is built with. */
export interface ProviderContext {
  /** This provider's environment variables (validated against `definition.env`), unset ones absent. */
  readonly env: Readonly<Record<string, string>>;
  readonly mode: ProviderMode;
  /** Every HTTP call's timeout. */
  readonly timeoutMs: number;
  readonly logger: Logger;
}

/** A running sandbox. */
export interface Sandbox {
  /** Base URL (`http://127.0.0.1:<port>`); `<PROVIDER>_API_BASE` for the adapter. */
  readonly url: string;
  /** The environment variables an adapter needs to talk to this sandbox (test credentials, API base). */
  readonly env: Readonly<Record<string, string>>;
  readonly control: SandboxControl;
  close(): Promise<void>;
}

/** Misbehaviour a sandbox can be told to show (tests and the conformance suite use it). */
export type CallbackMode =
  | { readonly type: 'normal' }
  /** Each callback is sent twice. */
  | { readonly type: 'duplicate' }
  /** Callbacks are held and sent in reverse order on `flush()` (a later status arrives first). */
  | { readonly type: 'out_of_order' }
  /** No callback is sent at all (the engine must reconcile). */
  | { readonly type: 'missing' }
  /** Each callback is sent `delayMs` late. */
  | { readonly type: 'late'; readonly delayMs: number };

export interface SandboxControl {
  /** Where dashboard-configured webhooks go from now on (known only once our server listens). */
  setWebhookUrl(url: string): void;
  /** The next `count` API requests (not OAuth) hang past any sane timeout, or answer 5xx. */
  failNext(kind: 'timeout' | 'server_error', count?: number): void;
  setCallbackMode(mode: CallbackMode): void;
  /** Sends callbacks held by `out_of_order`. */
  flush(): Promise<void>;
  /**
   * Completes a hosted checkout as the payer would on the sandbox's page, with a documented test
   * input (a test card number, …). Providers whose payer acts on the handset (M-Pesa) decide from the
   * phone number and do nothing here.
   */
  pay(nextAction: NextAction, testInput: string): Promise<void>;
  /** Every callback or webhook the sandbox has sent, oldest first. */
  readonly sent: readonly SentCallback[];
  /** Re-sends a callback exactly as before (a duplicate delivery). */
  resend(callback: SentCallback): Promise<void>;
}

export interface SentCallback {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface SandboxOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /**
   * Where webhooks configured "in the dashboard" go (Chapa, Flutterwave, Stripe): our
   * `/v1/webhooks/<provider>` URL. Per-request callback URLs (M-Pesa) come with each request.
   */
  readonly webhookUrl?: string;
  /** How long the simulated payer takes to act (M-Pesa handset, default 200 ms). */
  readonly payerDelayMs?: number;
  readonly logger?: Logger;
}

/** One provider, as the registry knows it. */
export interface ProviderDefinition {
  readonly id: ProviderId;
  readonly displayName: string;
  /**
   * The environment variables this provider reads, all prefixed with its upper-case id
   * (`MPESA_CONSUMER_KEY`), each optional, with a description: the config schema includes them and
   * the README's configuration table lists them.
   */
  readonly env: TObject;
  /**
   * Problems with this provider's settings, for start-up to report (partial credentials, a bad
   * API base …). Empty when the settings are usable or absent altogether.
   */
  problems(env: Readonly<Record<string, string>>): string[];
  /** True when credentials are set: the adapter then talks to the real provider (or `<ID>_API_BASE`). */
  isConfigured(env: Readonly<Record<string, string>>): boolean;
  /** Test or live, decided from the credentials (a `_TEST` key, an environment switch …). */
  modeOf(env: Readonly<Record<string, string>>): ProviderMode;
  create(context: ProviderContext): PaymentProvider;
  startSandbox(options?: SandboxOptions): Promise<Sandbox>;
}
