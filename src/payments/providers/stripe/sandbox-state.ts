/**
 * The sandbox's memory: PaymentIntents, Checkout Sessions, charges, refunds and events, changed only
 * as Stripe changes them. A card's outcome comes from the documented test cards (test-cards.ts); a
 * decline leaves the intent in `requires_payment_method` with `last_payment_error`, and a Checkout
 * Session stays open after one (the payer may try another card), as at Stripe.
 */

import { ApiError, invalid, missing, newId, nowSeconds } from './sandbox-params.ts';
import type { CardOutcome, TestCard } from './test-cards.ts';
import {
  type StripeCharge,
  type StripeCheckoutSession,
  type StripeEvent,
  type StripeLastPaymentError,
  type StripePaymentIntent,
  type StripePaymentMethod,
  type StripeRefund,
  stripeApiVersion,
} from './wire.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type Intent = Mutable<StripePaymentIntent>;
export type Session = Mutable<StripeCheckoutSession>;
export type Charge = Mutable<StripeCharge>;

/** The request that caused an event (`event.request`); null for the payer's own actions on Checkout. */
export interface RequestInfo {
  readonly id: string | null;
  readonly idempotencyKey: string | null;
}

export type AttemptResult =
  | { readonly type: 'succeeded' }
  | { readonly type: 'declined'; readonly error: StripeLastPaymentError }
  | { readonly type: 'requires_action' };

/** `payment_intent_data` of a Checkout Session. */
export interface IntentData {
  readonly metadata: Record<string, string>;
  readonly description?: string | undefined;
}

const noRequest: RequestInfo = { id: null, idempotencyKey: null };
/** Bounds on memory: a sandbox runs for a test run, not forever. */
const objectsMax = 100_000;

export class SandboxState {
  readonly intents = new Map<string, Intent>();
  readonly sessions = new Map<string, Session>();
  readonly charges = new Map<string, Charge>();
  readonly refunds = new Map<string, StripeRefund>();
  readonly events = new Map<string, StripeEvent>();
  /** A session's `payment_intent_data`, applied when Checkout makes the intent. */
  readonly #intentData = new Map<string, IntentData>();
  /** Cards attached to intents awaiting confirmation. */
  readonly #attached = new Map<string, { card: TestCard; method: StripePaymentMethod }>();
  readonly #onEvent: (event: StripeEvent) => void;

  constructor(onEvent: (event: StripeEvent) => void) {
    this.#onEvent = onEvent;
  }

  newIntent(fields: {
    amount: number;
    currency: string;
    metadata: Record<string, string>;
    description?: string | undefined;
    receiptEmail?: string | undefined;
  }): Intent {
    this.#guardSize(this.intents);
    const id = newId('pi_3');
    const intent: Intent = {
      id,
      object: 'payment_intent',
      amount: fields.amount,
      amount_capturable: 0,
      amount_received: 0,
      currency: fields.currency,
      status: 'requires_payment_method',
      metadata: fields.metadata,
      last_payment_error: null,
      latest_charge: null,
      payment_method: null,
      payment_method_types: ['card'],
      cancellation_reason: null,
      canceled_at: null,
      capture_method: 'automatic_async',
      confirmation_method: 'automatic',
      client_secret: `${id}_secret_${newId('', 25)}`,
      created: nowSeconds(),
      description: fields.description ?? null,
      livemode: false,
      next_action: null,
      receipt_email: fields.receiptEmail ?? null,
    };
    this.intents.set(id, intent);
    return intent;
  }

  intent(id: string, param = 'intent'): Intent {
    const intent = this.intents.get(id);
    if (!intent) throw missing('payment_intent', id, param);
    return intent;
  }

  session(id: string, param = 'session'): Session {
    const session = this.sessions.get(id);
    if (!session) throw missing('checkout.session', id, param);
    this.#expireIfDue(session);
    return session;
  }

  /** Attaches a test card without confirming (`requires_confirmation`), as `payment_method` on create does. */
  attach(intent: Intent, card: TestCard): void {
    const method = paymentMethodFor(card);
    this.#attached.set(intent.id, { card, method });
    Object.assign(intent, { payment_method: method.id, status: 'requires_confirmation' });
  }

  /** The test card behind a PaymentMethod id this sandbox made for `intent`. */
  attachedCard(intent: Intent, methodId: string): TestCard | undefined {
    const attached = this.#attached.get(intent.id);
    return attached?.method.id === methodId ? attached.card : undefined;
  }

  /** A confirmation with `card`: the intent ends succeeded, declined or waiting for 3D Secure. */
  attempt(intent: Intent, card: TestCard, request: RequestInfo = noRequest): AttemptResult {
    assertConfirmable(intent);
    const attached = this.#attached.get(intent.id);
    const method = attached?.card === card ? attached.method : paymentMethodFor(card);
    this.#attached.delete(intent.id);
    return this.#apply(intent, card.outcome, method, request);
  }

  #apply(
    intent: Intent,
    outcome: CardOutcome,
    method: StripePaymentMethod,
    request: RequestInfo,
  ): AttemptResult {
    switch (outcome.type) {
      case 'succeed': {
        const charge = this.#charge(intent, method, null);
        Object.assign(intent, {
          status: 'succeeded',
          amount_received: intent.amount,
          latest_charge: charge.id,
          payment_method: method.id,
          last_payment_error: null,
          next_action: null,
        });
        this.emit('payment_intent.succeeded', intent, request);
        return { type: 'succeeded' };
      }
      case 'decline': {
        const charge = this.#charge(intent, method, outcome);
        const error: StripeLastPaymentError = {
          type: 'card_error',
          code: outcome.code,
          ...(outcome.declineCode ? { decline_code: outcome.declineCode } : {}),
          message: outcome.message,
          doc_url: `https://stripe.com/docs/error-codes/${outcome.code.replace(/_/g, '-')}`,
          charge: charge.id,
          payment_method: method,
        };
        Object.assign(intent, {
          status: 'requires_payment_method',
          latest_charge: charge.id,
          payment_method: null,
          last_payment_error: error,
          next_action: null,
        });
        this.emit('payment_intent.payment_failed', intent, request);
        return { type: 'declined', error };
      }
      case 'authenticate':
        Object.assign(intent, {
          status: 'requires_action',
          payment_method: method.id,
          next_action: { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect' } },
        });
        return { type: 'requires_action' };
    }
  }

  #charge(
    intent: Intent,
    method: StripePaymentMethod,
    decline: Extract<CardOutcome, { type: 'decline' }> | null,
  ): Charge {
    this.#guardSize(this.charges);
    const charge: Charge = {
      id: newId('ch_3'),
      object: 'charge',
      amount: intent.amount,
      amount_captured: decline ? 0 : intent.amount,
      amount_refunded: 0,
      currency: intent.currency,
      captured: !decline,
      paid: !decline,
      refunded: false,
      status: decline ? 'failed' : 'succeeded',
      payment_intent: intent.id,
      payment_method: method.id,
      failure_code: decline ? decline.code : null,
      failure_message: decline ? decline.message : null,
      // Stripe copies the intent's metadata onto the charge it makes.
      metadata: { ...intent.metadata },
      created: nowSeconds(),
      livemode: false,
    };
    this.charges.set(charge.id, charge);
    return charge;
  }

  /** The payer pays on the hosted page: the session's intent is made on the first attempt. */
  payCheckout(
    session: Session,
    card: TestCard,
    payer: { email: string | null; name: string | null },
  ): AttemptResult {
    let intent =
      typeof session.payment_intent === 'string' ? this.intents.get(session.payment_intent) : undefined;
    if (!intent) {
      const data = this.#intentData.get(session.id);
      intent = this.newIntent({
        amount: session.amount_total ?? 0,
        currency: session.currency ?? 'usd',
        metadata: { ...data?.metadata },
        description: data?.description,
        receiptEmail: session.customer_email ?? undefined,
      });
      session.payment_intent = intent.id;
    }
    const result = this.attempt(intent, card);
    if (result.type === 'succeeded') {
      Object.assign(session, {
        status: 'complete',
        payment_status: 'paid',
        url: null,
        customer_details: { email: session.customer_email ?? payer.email, name: payer.name },
      });
      this.emit('checkout.session.completed', session, noRequest);
    }
    return result;
  }

  addSession(session: Session, intentData: IntentData): void {
    this.#guardSize(this.sessions);
    this.sessions.set(session.id, session);
    this.#intentData.set(session.id, intentData);
  }

  expireSession(session: Session, request: RequestInfo = noRequest): void {
    if (session.status !== 'open') {
      throw invalid(
        'Only Checkout Sessions with a status in ["open"] can be expired.',
        undefined,
        'checkout_session_not_open',
      );
    }
    Object.assign(session, { status: 'expired', url: null });
    const intent =
      typeof session.payment_intent === 'string' ? this.intents.get(session.payment_intent) : undefined;
    if (intent && intent.status !== 'succeeded') {
      Object.assign(intent, {
        status: 'canceled',
        cancellation_reason: 'automatic',
        canceled_at: nowSeconds(),
      });
    }
    this.emit('checkout.session.expired', session, request);
  }

  #expireIfDue(session: Session): void {
    if (session.status === 'open' && session.expires_at <= nowSeconds()) this.expireSession(session);
  }

  /** A refund of part or all of an intent's successful charge. */
  refund(
    intent: Intent,
    amount: number | undefined,
    fields: { metadata: Record<string, string>; reason: string | null },
    request: RequestInfo,
  ): StripeRefund {
    const charge = intent.latest_charge ? this.charges.get(intent.latest_charge) : undefined;
    if (charge?.status !== 'succeeded') {
      throw invalid(
        `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`,
        'payment_intent',
      );
    }
    const remaining = charge.amount - charge.amount_refunded;
    if (remaining === 0)
      throw invalid(`Charge ${charge.id} has already been refunded.`, undefined, 'charge_already_refunded');
    const value = amount ?? remaining;
    if (value > remaining) {
      throw invalid(
        `Refund amount (${value}) is greater than unrefunded amount on charge (${remaining})`,
        'amount',
        'amount_too_large',
      );
    }
    this.#guardSize(this.refunds);
    const refund: StripeRefund = {
      id: newId('re_3'),
      object: 'refund',
      amount: value,
      currency: charge.currency,
      charge: charge.id,
      payment_intent: intent.id,
      status: 'succeeded',
      failure_reason: null,
      metadata: fields.metadata,
      reason: fields.reason,
      created: nowSeconds(),
    };
    this.refunds.set(refund.id, refund);
    charge.amount_refunded += value;
    charge.refunded = charge.amount_refunded === charge.amount;
    this.emit('charge.refunded', charge, request);
    this.emit('refund.created', refund, request);
    return refund;
  }

  /** Records an event with a snapshot of the object as it is now, and hands it to delivery. */
  emit(type: string, object: object, request: RequestInfo): void {
    const event: StripeEvent = {
      id: newId('evt_3'),
      object: 'event',
      api_version: stripeApiVersion,
      created: nowSeconds(),
      data: { object: structuredClone(object) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: request.id, idempotency_key: request.idempotencyKey },
      type,
    };
    this.#guardSize(this.events);
    this.events.set(event.id, event);
    this.#onEvent(event);
  }

  #guardSize(map: Map<string, unknown>): void {
    if (map.size >= objectsMax)
      throw new ApiError(500, { type: 'api_error', message: 'Sandbox memory is full.' });
  }
}

export function assertConfirmable(intent: Intent): void {
  if (intent.status !== 'requires_payment_method' && intent.status !== 'requires_confirmation') {
    throw invalid(
      `You cannot confirm this PaymentIntent because it has a status of ${intent.status}.`,
      undefined,
      'payment_intent_unexpected_state',
    );
  }
}

function paymentMethodFor(card: TestCard): StripePaymentMethod {
  const year = new Date().getUTCFullYear() + 3;
  return {
    id: newId('pm_1'),
    object: 'payment_method',
    type: 'card',
    card: { brand: card.brand, last4: card.number.slice(-4), exp_month: 12, exp_year: year },
    created: nowSeconds(),
    livemode: false,
  };
}
