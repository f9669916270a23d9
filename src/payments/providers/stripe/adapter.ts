/**
 * The Stripe adapter: card collections through hosted Checkout Sessions, status from the session and
 * its PaymentIntent, refunds, and signed webhook events. Every POST carries an Idempotency-Key (our
 * reference or refund id), so Stripe itself makes a repeated call safe.
 */
import type { Logger } from '../../../shared/logger.ts';
import { Secret } from '../../../shared/secret.ts';
import { httpError, type ProviderResponse, providerRequest } from '../http.ts';
import {
  type CollectionRequest,
  type CollectionResult,
  type PaymentProvider,
  type ProviderCapabilities,
  type ProviderContext,
  ProviderError,
  type ProviderMode,
  type ProviderTransaction,
  type RefundRequest,
  type RefundResult,
  type StatusQuery,
  type WebhookEvent,
  type WebhookReply,
  type WebhookRequest,
  WebhookVerificationError,
} from '../provider.ts';
import { encodeForm, type FormInput } from './form.ts';
import { apiBaseOf } from './options.ts';
import { verifySignature } from './signature.ts';
import {
  eventFields,
  failureFromStripeError,
  paymentIntentTransaction,
  refundStatus,
  sessionTransaction,
  stripeCurrencies,
  toStripeAmount,
} from './transformers.ts';
import {
  type StripeApiError,
  type StripeCheckoutSession,
  type StripePaymentIntent,
  type StripeRefund,
  type StripeSearchResult,
  stripeApiVersion,
} from './wire.ts';

export const stripeCapabilities: ProviderCapabilities = {
  currencies: stripeCurrencies,
  countries: ['KE', 'NG', 'UG', 'RW', 'TZ', 'ET', 'US', 'GB', 'IE', 'DE', 'FR', 'NL', 'ES', 'IT', 'BE'],
  methods: ['card'],
  collectWith: 'email',
  collect: true,
  payout: false,
  payoutDestinations: [],
  refund: true,
  status: true,
  banks: false,
  resolveAccount: false,
};

/** Stripe's limit on idempotency keys; our references (≤ 40 chars) are far below it. */
const idempotencyKeyCharsMax = 255;
const productNameCharsMax = 250;

export class StripeAdapter implements PaymentProvider {
  readonly id = 'stripe' as const;
  readonly mode: ProviderMode;
  readonly capabilities = stripeCapabilities;
  readonly webhookReply: WebhookReply = {
    status: 200,
    contentType: 'application/json',
    body: '{"received":true}',
  };
  readonly #secretKey: Secret;
  readonly #webhookSecret: Secret | undefined;
  readonly #apiBase: string;
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  /** Injected by tests to check the timestamp tolerance; Unix seconds. */
  readonly #now: () => number;

  constructor(context: ProviderContext, now: () => number = () => Math.floor(Date.now() / 1000)) {
    const key = context.env.STRIPE_SECRET_KEY;
    if (!key) throw new Error('stripe: STRIPE_SECRET_KEY is not set');
    this.#secretKey = new Secret(key);
    const webhookSecret = context.env.STRIPE_WEBHOOK_SECRET;
    this.#webhookSecret = webhookSecret ? new Secret(webhookSecret) : undefined;
    this.#apiBase = apiBaseOf(context.env);
    this.#timeoutMs = context.timeoutMs;
    this.#logger = context.logger;
    this.mode = context.mode;
    this.#now = now;
  }

  async initiateCollection(request: CollectionRequest, signal?: AbortSignal): Promise<CollectionResult> {
    const currency = request.currency.toUpperCase();
    if (!(stripeCurrencies as readonly string[]).includes(currency)) {
      throw new ProviderError('stripe', 'invalid_request', `currency ${request.currency} is not supported`);
    }
    let amount: string;
    try {
      amount = toStripeAmount(request.amountMinor, currency);
    } catch (error) {
      throw new ProviderError('stripe', 'invalid_request', `amount refused: ${(error as Error).message}`);
    }
    if (request.reference.length === 0 || request.reference.length > idempotencyKeyCharsMax) {
      throw new ProviderError('stripe', 'invalid_request', 'reference must be 1–255 characters');
    }
    const params: Record<string, FormInput> = {
      mode: 'payment',
      payment_method_types: ['card'],
      line_items: [
        {
          quantity: 1,
          price_data: {
            currency: currency.toLowerCase(),
            unit_amount: amount,
            product_data: { name: (request.description || request.reference).slice(0, productNameCharsMax) },
          },
        },
      ],
      client_reference_id: request.reference,
      metadata: { reference: request.reference },
      // Copied onto the PaymentIntent (and its charge), so payment_intent.* events carry our reference too.
      payment_intent_data: { metadata: { reference: request.reference } },
      customer_email: request.email,
      success_url: request.returnUrl,
      cancel_url: request.returnUrl,
    };
    const response = await this.#call('POST', '/v1/checkout/sessions', signal, params, request.reference);
    const session = response.json as StripeCheckoutSession;
    if (
      !isObject(session, 'checkout.session') ||
      typeof session.id !== 'string' ||
      typeof session.url !== 'string'
    ) {
      throw malformed();
    }
    this.#logger.debug(
      { reference: request.reference, session: session.id },
      'stripe checkout session created',
    );
    return { providerId: session.id, nextAction: { type: 'redirect', url: session.url } };
  }

  async getStatus(query: StatusQuery, signal?: AbortSignal): Promise<ProviderTransaction> {
    if (query.kind !== 'collection') {
      throw new ProviderError('stripe', 'invalid_request', 'Stripe makes no payouts here', {
        retryable: false,
      });
    }
    const id = query.providerId;
    if (id?.startsWith('cs_')) return this.#sessionStatus(id, signal);
    if (id?.startsWith('pi_')) return paymentIntentTransaction(await this.#retrieveIntent(id, signal));
    if (id) throw new ProviderError('stripe', 'invalid_request', 'providerId is neither a cs_ nor a pi_ id');
    const intent = await this.#intentByReference(query.reference, signal);
    // Nothing found: the payer has not tried to pay yet (Checkout creates the intent on the first attempt).
    return intent ? paymentIntentTransaction(intent) : { status: 'pending', reference: query.reference };
  }

  async refund(request: RefundRequest, signal?: AbortSignal): Promise<RefundResult> {
    const intentId = await this.#intentIdFor(request, signal);
    let amount: string;
    try {
      amount = toStripeAmount(request.amountMinor, request.currency);
    } catch (error) {
      throw new ProviderError('stripe', 'invalid_request', `amount refused: ${(error as Error).message}`);
    }
    const params = {
      payment_intent: intentId,
      amount,
      metadata: { refund_id: request.refundId, reference: request.paymentReference },
    };
    const response = await this.#call('POST', '/v1/refunds', signal, params, request.refundId);
    const refund = response.json as StripeRefund;
    if (!isObject(refund, 'refund') || typeof refund.id !== 'string' || typeof refund.status !== 'string') {
      throw malformed();
    }
    return { providerId: refund.id, status: refundStatus(refund.status) };
  }

  verifyWebhook(request: WebhookRequest): void {
    if (!this.#webhookSecret) {
      throw new WebhookVerificationError('signature_invalid', 'STRIPE_WEBHOOK_SECRET is not set');
    }
    verifySignature(
      request.headers['stripe-signature'],
      request.rawBody,
      this.#webhookSecret.reveal(),
      this.#now(),
    );
  }

  parseWebhook(request: WebhookRequest): WebhookEvent[] {
    let event: unknown;
    try {
      event = JSON.parse(request.rawBody.toString('utf8'));
    } catch {
      throw new WebhookVerificationError('malformed', 'the body is not JSON');
    }
    if (!isObject(event, 'event'))
      throw new WebhookVerificationError('malformed', 'the body is not a Stripe event');
    const { id, type, data } = event as { id?: unknown; type?: unknown; data?: { object?: unknown } };
    if (typeof id !== 'string' || !/^evt_[A-Za-z0-9_]{1,200}$/.test(id) || typeof type !== 'string') {
      throw new WebhookVerificationError('malformed', 'the event has no valid id or type');
    }
    const object = data?.object;
    if (typeof object !== 'object' || object === null) {
      throw new WebhookVerificationError('malformed', 'the event has no data.object');
    }
    try {
      // Signed over the body: the event moves money on its own word.
      return [
        { eventId: id, requiresConfirmation: false, ...eventFields(type, object as Record<string, unknown>) },
      ];
    } catch {
      throw new WebhookVerificationError(
        'malformed',
        `the ${type.slice(0, 64)} event is not shaped as Stripe sends it`,
      );
    }
  }

  async #sessionStatus(id: string, signal: AbortSignal | undefined): Promise<ProviderTransaction> {
    const response = await this.#call('GET', `/v1/checkout/sessions/${encodeURIComponent(id)}`, signal, {
      expand: ['payment_intent'],
    });
    const session = response.json as StripeCheckoutSession;
    if (!isObject(session, 'checkout.session') || typeof session.status !== 'string') throw malformed();
    let intent: StripePaymentIntent | undefined;
    if (typeof session.payment_intent === 'string')
      intent = await this.#retrieveIntent(session.payment_intent, signal);
    else if (session.payment_intent) intent = session.payment_intent;
    if (intent && !isIntent(intent)) throw malformed();
    return sessionTransaction(session, intent);
  }

  async #retrieveIntent(id: string, signal: AbortSignal | undefined): Promise<StripePaymentIntent> {
    const response = await this.#call('GET', `/v1/payment_intents/${encodeURIComponent(id)}`, signal);
    if (!isIntent(response.json)) throw malformed();
    return response.json;
  }

  /** Search is eventually consistent (about a minute behind): fine for reconciliation, not for a hot path. */
  async #intentByReference(
    reference: string,
    signal: AbortSignal | undefined,
  ): Promise<StripePaymentIntent | undefined> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(reference)) {
      throw new ProviderError(
        'stripe',
        'invalid_request',
        'reference has characters Stripe search cannot quote',
      );
    }
    const response = await this.#call('GET', '/v1/payment_intents/search', signal, {
      query: `metadata['reference']:'${reference}'`,
      limit: 10,
    });
    const result = response.json as StripeSearchResult<StripePaymentIntent>;
    if (!isObject(result, 'search_result') || !Array.isArray(result.data) || !result.data.every(isIntent)) {
      throw malformed();
    }
    // Several intents (a payer who retried): a success wins, else the newest.
    const intents = [...result.data].sort((a, b) => b.created - a.created);
    return intents.find((intent) => intent.status === 'succeeded') ?? intents[0];
  }

  async #intentIdFor(request: RefundRequest, signal: AbortSignal | undefined): Promise<string> {
    const id = request.providerId;
    if (id?.startsWith('pi_')) return id;
    if (id?.startsWith('cs_')) {
      const response = await this.#call('GET', `/v1/checkout/sessions/${encodeURIComponent(id)}`, signal);
      const session = response.json as StripeCheckoutSession;
      if (!isObject(session, 'checkout.session')) throw malformed();
      const intent = session.payment_intent;
      const intentId = typeof intent === 'string' ? intent : intent?.id;
      if (!intentId)
        throw new ProviderError('stripe', 'invalid_request', 'the Checkout Session has no payment to refund');
      return intentId;
    }
    const intent = await this.#intentByReference(request.paymentReference, signal);
    if (!intent)
      throw new ProviderError('stripe', 'invalid_request', 'no Stripe payment found for this reference');
    return intent.id;
  }

  /** One API call: form body or query, pinned version, idempotency key on POSTs, errors mapped. */
  async #call(
    method: 'GET' | 'POST',
    path: string,
    signal: AbortSignal | undefined,
    params: Readonly<Record<string, FormInput>> = {},
    idempotencyKey?: string,
  ): Promise<ProviderResponse> {
    const form = encodeForm(params);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#secretKey.reveal()}`,
      'stripe-version': stripeApiVersion,
    };
    if (method === 'POST') headers['content-type'] = 'application/x-www-form-urlencoded';
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    const url = `${this.#apiBase}${path}${method === 'GET' && form ? `?${form}` : ''}`;
    const response = await providerRequest('stripe', {
      method,
      url,
      headers,
      ...(method === 'POST' ? { body: form } : {}),
      timeoutMs: this.#timeoutMs,
      signal,
    });
    if (response.status >= 200 && response.status < 300) return response;
    throw stripeError(response);
  }
}

/**
 * A non-2xx answer as a ProviderError. Stripe's `Stripe-Should-Retry` overrides the usual guess: it
 * says `false` when a retry would only replay a stored result. Stripe's message is kept except on
 * auth failures, whose message echoes part of the key.
 */
export function stripeError(response: ProviderResponse): ProviderError {
  const error = (response.json as { error?: StripeApiError } | undefined)?.error;
  const code = typeof error?.decline_code === 'string' ? error.decline_code : error?.code;
  const base = httpError('stripe', response, typeof code === 'string' ? code : undefined);
  const shouldRetry = response.headers.get('stripe-should-retry');
  const status = response.status;
  let retryable = base.retryable || status === 409;
  if (shouldRetry === 'true') retryable = true;
  if (shouldRetry === 'false') retryable = false;
  const options = {
    retryable,
    httpStatus: status,
    ...(base.providerCode === undefined ? {} : { providerCode: base.providerCode }),
  };
  const detail =
    typeof error?.message === 'string' && base.kind !== 'auth' ? `: ${error.message.slice(0, 200)}` : '';
  if (status === 402 || error?.type === 'card_error') {
    return new ProviderError('stripe', 'declined', `card declined${detail}`, {
      ...options,
      failure: failureFromStripeError(error),
    });
  }
  const kind = status === 409 ? 'unavailable' : base.kind;
  return new ProviderError('stripe', kind, `${base.message.replace(/^stripe: /, '')}${detail}`, options);
}

function malformed(): ProviderError {
  return new ProviderError('stripe', 'unavailable', 'Stripe answered with an unexpected body');
}

function isObject(value: unknown, object: string): boolean {
  return typeof value === 'object' && value !== null && (value as { object?: unknown }).object === object;
}

function isIntent(value: unknown): value is StripePaymentIntent {
  if (!isObject(value, 'payment_intent')) return false;
  const intent = value as StripePaymentIntent;
  return (
    typeof intent.id === 'string' && typeof intent.status === 'string' && typeof intent.currency === 'string'
  );
}
