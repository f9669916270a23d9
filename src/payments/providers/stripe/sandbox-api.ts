/**
 * The sandbox's `/v1` endpoints: Checkout Sessions, PaymentIntents (create, confirm, cancel,
 * retrieve, search), refunds, charges and events. Each takes decoded form parameters and answers
 * Stripe's object, or throws `ApiError` with Stripe's error body.
 */
import type { FormObject, FormValue } from './form.ts';
import {
  type ApiAnswer,
  ApiError,
  amountOf,
  currencyOf,
  invalid,
  metadataOf,
  missing,
  newId,
  nowSeconds,
  optionalBoolean,
  optionalInteger,
  optionalList,
  optionalObject,
  optionalString,
  rejectUnknown,
  requiredString,
  urlOf,
} from './sandbox-params.ts';
import {
  type AttemptResult,
  assertConfirmable,
  type Intent,
  type RequestInfo,
  type SandboxState,
  type Session,
} from './sandbox-state.ts';
import { cardByPaymentMethod, type TestCard } from './test-cards.ts';

export interface ApiContext {
  readonly state: SandboxState;
  readonly baseUrl: string;
  readonly request: RequestInfo;
}

type Handler = (context: ApiContext, params: FormObject, id: string) => ApiAnswer;

interface Route {
  readonly method: 'GET' | 'POST';
  readonly pattern: RegExp;
  readonly handler: Handler;
}

const ok = (body: unknown): ApiAnswer => ({ status: 200, body });

const routes: readonly Route[] = [
  { method: 'POST', pattern: /^\/v1\/checkout\/sessions$/, handler: createSession },
  { method: 'GET', pattern: /^\/v1\/checkout\/sessions\/([^/]+)$/, handler: retrieveSession },
  { method: 'POST', pattern: /^\/v1\/checkout\/sessions\/([^/]+)\/expire$/, handler: expireSession },
  { method: 'POST', pattern: /^\/v1\/payment_intents$/, handler: createIntent },
  { method: 'GET', pattern: /^\/v1\/payment_intents\/search$/, handler: searchIntents },
  { method: 'GET', pattern: /^\/v1\/payment_intents\/([^/]+)$/, handler: retrieveIntent },
  { method: 'POST', pattern: /^\/v1\/payment_intents\/([^/]+)\/confirm$/, handler: confirmIntent },
  { method: 'POST', pattern: /^\/v1\/payment_intents\/([^/]+)\/cancel$/, handler: cancelIntent },
  { method: 'POST', pattern: /^\/v1\/refunds$/, handler: createRefund },
  {
    method: 'GET',
    pattern: /^\/v1\/refunds\/([^/]+)$/,
    handler: (c, _p, id) => ok(found(c.state.refunds, 'refund', id)),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/charges\/([^/]+)$/,
    handler: (c, _p, id) => ok(found(c.state.charges, 'charge', id)),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/events\/([^/]+)$/,
    handler: (c, _p, id) => ok(found(c.state.events, 'event', id)),
  },
];

/** Runs the endpoint for `method path`, or answers Stripe's "Unrecognized request URL". */
export function routeApi(context: ApiContext, method: string, path: string, params: FormObject): ApiAnswer {
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (!match || route.method !== method) continue;
    return route.handler(context, params, decodeURIComponent(match[1] ?? ''));
  }
  throw new ApiError(404, {
    type: 'invalid_request_error',
    message: `Unrecognized request URL (${method}: ${path.slice(0, 200)}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
  });
}

function found<T>(map: ReadonlyMap<string, T>, resource: string, id: string): T {
  const value = map.get(id);
  if (value === undefined) throw missing(resource, id, 'id');
  return value;
}

const sessionParams = [
  'mode',
  'line_items',
  'success_url',
  'cancel_url',
  'client_reference_id',
  'customer_email',
  'metadata',
  'payment_intent_data',
  'payment_method_types',
  'expand',
  'expires_at',
  'locale',
  'submit_type',
];

function createSession(context: ApiContext, params: FormObject): ApiAnswer {
  rejectUnknown(params, sessionParams);
  const mode = requiredString(params, 'mode');
  if (mode !== 'payment') throw invalid('This sandbox supports mode=payment only.', 'mode');
  const { amount, currency } = lineItemsTotal(optionalList(params, 'line_items'));
  const methods = optionalList(params, 'payment_method_types') ?? ['card'];
  if (methods.some((m) => m !== 'card'))
    throw invalid('This sandbox supports the card payment method only.', 'payment_method_types');
  const email = optionalString(params, 'customer_email', 512);
  if (email !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
    throw invalid(`Invalid email address: ${email.slice(0, 100)}`, 'customer_email', 'email_invalid');
  }
  const intentData = optionalObject(params, 'payment_intent_data') ?? {};
  rejectUnknown(intentData, ['metadata', 'description', 'receipt_email']);
  const created = nowSeconds();
  const expiresAt = optionalInteger(params, 'expires_at') ?? created + 24 * 3600;
  if (expiresAt < created + 30 * 60 || expiresAt > created + 24 * 3600) {
    throw invalid(
      'The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.',
      'expires_at',
    );
  }
  const id = newId('cs_test_a1', 56);
  const session: Session = {
    id,
    object: 'checkout.session',
    amount_subtotal: amount,
    amount_total: amount,
    currency,
    client_reference_id: optionalString(params, 'client_reference_id', 200) ?? null,
    customer_email: email ?? null,
    customer_details: null,
    metadata: metadataOf(params),
    mode: 'payment',
    payment_intent: null,
    payment_method_types: ['card'],
    payment_status: 'unpaid',
    status: 'open',
    url: `${context.baseUrl}/c/pay/${id}`,
    success_url: urlOf(params, 'success_url') ?? null,
    cancel_url: urlOf(params, 'cancel_url') ?? null,
    expires_at: expiresAt,
    created,
    livemode: false,
  };
  context.state.addSession(session, {
    metadata: metadataOf(intentData),
    description: optionalString(intentData, 'description', 1_000),
  });
  return ok(expandSession(context, session, params));
}

function lineItemsTotal(items: FormValue[] | undefined): { amount: number; currency: string } {
  if (!items || items.length === 0)
    throw invalid('Missing required param: line_items.', 'line_items', 'parameter_missing');
  let amount = 0;
  let currency: string | undefined;
  items.forEach((item, index) => {
    const param = `line_items[${index}]`;
    if (typeof item !== 'object' || Array.isArray(item)) throw invalid('Invalid hash', param);
    rejectUnknown(item, ['price_data', 'quantity', 'price']);
    if (item.price !== undefined) throw missing('price', String(item.price), `${param}[price]`);
    const data = optionalObject(item, 'price_data');
    if (!data) throw invalid('You must specify either `price` or `price_data` for each line item.', param);
    rejectUnknown(data, ['currency', 'unit_amount', 'product_data', 'product']);
    const itemCurrency = currencyOf(data);
    if (currency !== undefined && itemCurrency !== currency)
      throw invalid('All line items must share one currency.', param);
    currency = itemCurrency;
    const name = optionalString(optionalObject(data, 'product_data') ?? {}, 'name', 250);
    if (!name)
      throw invalid(
        'Missing required param: line_items[][price_data][product_data][name].',
        `${param}[price_data]`,
      );
    const quantity = optionalInteger(item, 'quantity') ?? 0;
    if (quantity < 1) throw invalid('Quantity is required and must be at least 1.', `${param}[quantity]`);
    amount += amountOf(data, 'unit_amount', itemCurrency) * quantity;
  });
  if (amount > 99_999_999) throw invalid('The total amount is too large.', 'line_items', 'amount_too_large');
  return { amount, currency: currency ?? 'usd' };
}

function expands(params: FormObject): string[] {
  const list = optionalList(params, 'expand') ?? [];
  return list.filter((item): item is string => typeof item === 'string');
}

function expandSession(context: ApiContext, session: Session, params: FormObject): unknown {
  if (!expands(params).includes('payment_intent') || typeof session.payment_intent !== 'string')
    return session;
  return { ...session, payment_intent: context.state.intents.get(session.payment_intent) ?? null };
}

function retrieveSession(context: ApiContext, params: FormObject, id: string): ApiAnswer {
  rejectUnknown(params, ['expand']);
  return ok(expandSession(context, context.state.session(id), params));
}

function expireSession(context: ApiContext, params: FormObject, id: string): ApiAnswer {
  rejectUnknown(params, ['expand']);
  const session = context.state.session(id);
  context.state.expireSession(session, context.request);
  return ok(expandSession(context, session, params));
}

const intentParams = [
  'amount',
  'currency',
  'payment_method',
  'confirm',
  'metadata',
  'description',
  'receipt_email',
  'payment_method_types',
  'automatic_payment_methods',
  'capture_method',
  'return_url',
  'expand',
  'statement_descriptor_suffix',
  'error_on_requires_action',
  'off_session',
  'use_stripe_sdk',
];

function createIntent(context: ApiContext, params: FormObject): ApiAnswer {
  rejectUnknown(params, intentParams);
  const currency = currencyOf(params);
  const amount = amountOf(params, 'amount', currency);
  const capture = optionalString(params, 'capture_method');
  if (capture !== undefined && capture !== 'automatic' && capture !== 'automatic_async') {
    throw invalid('This sandbox captures automatically only.', 'capture_method');
  }
  const methodId = optionalString(params, 'payment_method');
  const card = methodId === undefined ? undefined : cardFor(methodId);
  const confirm = optionalBoolean(params, 'confirm') ?? false;
  urlOf(params, 'return_url');
  if (confirm && !card) throw missingMethod();
  const intent = context.state.newIntent({
    amount,
    currency,
    metadata: metadataOf(params),
    description: optionalString(params, 'description', 1_000),
    receiptEmail: optionalString(params, 'receipt_email', 512),
  });
  context.state.emit('payment_intent.created', intent, context.request);
  if (!card) return ok(intent);
  if (!confirm) {
    context.state.attach(intent, card);
    return ok(intent);
  }
  return attemptAnswer(intent, context.state.attempt(intent, card, context.request));
}

function confirmIntent(context: ApiContext, params: FormObject, id: string): ApiAnswer {
  rejectUnknown(params, [
    'payment_method',
    'return_url',
    'expand',
    'receipt_email',
    'error_on_requires_action',
    'off_session',
    'use_stripe_sdk',
  ]);
  const intent = context.state.intent(id);
  assertConfirmable(intent);
  const methodId = optionalString(params, 'payment_method') ?? intent.payment_method ?? undefined;
  urlOf(params, 'return_url');
  if (methodId === undefined) throw missingMethod();
  const card = context.state.attachedCard(intent, methodId) ?? cardFor(methodId);
  return attemptAnswer(intent, context.state.attempt(intent, card, context.request));
}

function cancelIntent(context: ApiContext, params: FormObject, id: string): ApiAnswer {
  rejectUnknown(params, ['cancellation_reason', 'expand']);
  const intent = context.state.intent(id);
  const reason = optionalString(params, 'cancellation_reason') ?? null;
  if (
    reason !== null &&
    !['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'].includes(reason)
  ) {
    throw invalid(`Invalid cancellation_reason: ${reason.slice(0, 40)}`, 'cancellation_reason');
  }
  if (intent.status === 'succeeded' || intent.status === 'canceled' || intent.status === 'processing') {
    throw invalid(
      `You cannot cancel this PaymentIntent because it has a status of ${intent.status}.`,
      undefined,
      'payment_intent_unexpected_state',
    );
  }
  Object.assign(intent, {
    status: 'canceled',
    cancellation_reason: reason,
    canceled_at: nowSeconds(),
    next_action: null,
  });
  context.state.emit('payment_intent.canceled', intent, context.request);
  return ok(intent);
}

/** A declined confirmation answers 402 with the card error and the intent as it now is. */
function attemptAnswer(intent: Intent, result: AttemptResult): ApiAnswer {
  if (result.type !== 'declined') return ok(intent);
  throw new ApiError(402, { ...result.error, payment_intent: structuredClone(intent) });
}

/** A test PaymentMethod id (`pm_card_visa` …): the sandbox knows no other cards. */
function cardFor(methodId: string): TestCard {
  const card = cardByPaymentMethod(methodId);
  if (!card) throw missing('PaymentMethod', methodId, 'payment_method');
  return card;
}

function missingMethod(): ApiError {
  return invalid(
    "You cannot confirm this PaymentIntent because it's missing a payment method. Update the PaymentIntent with a payment method and then confirm it again.",
    undefined,
    'payment_intent_unexpected_state',
  );
}

function retrieveIntent(context: ApiContext, params: FormObject, id: string): ApiAnswer {
  rejectUnknown(params, ['expand', 'client_secret']);
  return ok(context.state.intent(id));
}

/** Stripe's search grammar, the part reconciliation uses: `field:'value'` clauses joined by AND. */
function searchIntents(context: ApiContext, params: FormObject): ApiAnswer {
  rejectUnknown(params, ['query', 'limit', 'page', 'expand']);
  const query = requiredString(params, 'query', 1_000);
  const limit = optionalInteger(params, 'limit') ?? 10;
  if (limit < 1 || limit > 100) throw invalid('This value must be between 1 and 100.', 'limit');
  const clauses = query.split(/\s+AND\s+/).map((clause) => {
    const match = /^(metadata\['([^']{1,40})'\]|status|currency):'([^']*)'$/.exec(clause.trim());
    if (!match) throw invalid(`Invalid search query: ${clause.slice(0, 100)}`, 'query');
    return {
      field: match[2] === undefined ? (match[1] as 'status' | 'currency') : `metadata.${match[2]}`,
      value: match[3] ?? '',
    };
  });
  const matches = (intent: Intent) =>
    clauses.every(({ field, value }) =>
      field.startsWith('metadata.')
        ? intent.metadata[field.slice('metadata.'.length)] === value
        : intent[field as 'status' | 'currency'] === value,
    );
  const data = [...context.state.intents.values()].filter(matches).sort((a, b) => b.created - a.created);
  return ok({
    object: 'search_result',
    data: data.slice(0, limit),
    has_more: data.length > limit,
    next_page: null,
    url: '/v1/payment_intents/search',
  });
}

function createRefund(context: ApiContext, params: FormObject): ApiAnswer {
  rejectUnknown(params, ['payment_intent', 'charge', 'amount', 'metadata', 'reason', 'expand']);
  const intentId = optionalString(params, 'payment_intent');
  const chargeId = optionalString(params, 'charge');
  let intent: Intent;
  if (intentId) intent = context.state.intent(intentId, 'payment_intent');
  else if (chargeId) {
    const charge = found(context.state.charges, 'charge', chargeId);
    intent = context.state.intent(charge.payment_intent ?? '', 'charge');
  } else
    throw invalid(
      'One of the following params should be provided for this request: payment_intent or charge.',
    );
  const reason = optionalString(params, 'reason') ?? null;
  if (reason !== null && !['duplicate', 'fraudulent', 'requested_by_customer'].includes(reason)) {
    throw invalid(`Invalid reason: ${reason.slice(0, 40)}`, 'reason');
  }
  // Refunds have no minimum charge amount: any positive part of the charge.
  const amount = optionalInteger(params, 'amount');
  if (amount !== undefined && amount < 1)
    throw invalid('This value must be greater than or equal to 1.', 'amount');
  return ok(context.state.refund(intent, amount, { metadata: metadataOf(params), reason }, context.request));
}
