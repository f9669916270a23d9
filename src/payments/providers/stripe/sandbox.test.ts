import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../conformance/receiver.ts';
import { type StripeSandbox, startStripeSandbox } from './sandbox.ts';

let sandbox: StripeSandbox;
let receiver: WebhookReceiver;
let stripe: Stripe;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  sandbox = await startStripeSandbox({ webhookUrl: `${receiver.url}/v1/webhooks/stripe` });
  const port = Number(new URL(sandbox.url).port);
  stripe = new Stripe(sandbox.env.STRIPE_SECRET_KEY ?? '', { host: '127.0.0.1', port, protocol: 'http' });
});
afterAll(async () => {
  await sandbox?.close();
  await receiver?.close();
});

interface Answer {
  readonly error?: { type?: string; message?: string; code?: string; param?: string };
  readonly [field: string]: unknown;
}

/** A raw form POST, for what the official client would hide (headers, replays). */
async function post(path: string, form: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${sandbox.env.STRIPE_SECRET_KEY}`,
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    },
    body: form,
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Answer,
  };
}

const tag = () => randomBytes(6).toString('hex');

describe('stripe sandbox with the official stripe-node client', () => {
  it('creates and confirms a PaymentIntent with pm_card_visa', async () => {
    const created = await stripe.paymentIntents.create({
      amount: 1234,
      currency: 'usd',
      metadata: { order: 'o1' },
    });
    expect(created).toMatchObject({ status: 'requires_payment_method', amount: 1234, currency: 'usd' });
    expect(created.id).toMatch(/^pi_/);
    const confirmed = await stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_visa' });
    expect(confirmed.status).toBe('succeeded');
    expect(confirmed.amount_received).toBe(1234);
    expect((await stripe.paymentIntents.retrieve(created.id)).latest_charge).toMatch(/^ch_/);
  });

  it('throws StripeCardError with Stripe’s codes for declining test methods', async () => {
    const declined = await stripe.paymentIntents
      .create({ amount: 2000, currency: 'eur', payment_method: 'pm_card_chargeDeclined', confirm: true })
      .catch((e: unknown) => e);
    expect(declined).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(declined).toMatchObject({
      code: 'card_declined',
      decline_code: 'generic_decline',
      statusCode: 402,
    });
    const intent = (declined as { raw: { payment_intent: { id: string; status: string } } }).raw
      .payment_intent;
    expect(intent.status).toBe('requires_payment_method');
    const poor = await stripe.paymentIntents
      .create({
        amount: 2000,
        currency: 'usd',
        payment_method: 'pm_card_chargeDeclinedInsufficientFunds',
        confirm: true,
      })
      .catch((e: unknown) => e);
    expect(poor).toMatchObject({ type: 'StripeCardError', decline_code: 'insufficient_funds' });
    // The same intent then succeeds with another card, as at Stripe.
    expect((await stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' })).status).toBe(
      'succeeded',
    );
  });

  it('attaches without confirming, then confirms; refuses to confirm twice', async () => {
    const intent = await stripe.paymentIntents.create({
      amount: 700,
      currency: 'usd',
      payment_method: 'pm_card_mastercard',
    });
    expect(intent.status).toBe('requires_confirmation');
    expect(intent.payment_method).toMatch(/^pm_1/);
    expect((await stripe.paymentIntents.confirm(intent.id)).status).toBe('succeeded');
    await expect(stripe.paymentIntents.confirm(intent.id)).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'payment_intent_unexpected_state',
    });
  });

  it('creates a Checkout Session and retrieves it with its PaymentIntent expanded', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [
        {
          quantity: 2,
          price_data: { currency: 'kes', unit_amount: 15050, product_data: { name: 'Top-up' } },
        },
      ],
      success_url: 'http://127.0.0.1/ok?session={CHECKOUT_SESSION_ID}',
      client_reference_id: 'dep_sdk',
      customer_email: 'payer@example.com',
    });
    expect(session).toMatchObject({
      status: 'open',
      payment_status: 'unpaid',
      amount_total: 30100,
      currency: 'kes',
    });
    expect(session.url).toBe(`${sandbox.url}/c/pay/${session.id}`);
    await sandbox.control.pay({ type: 'redirect', url: session.url ?? '' }, '4242424242424242');
    const paid = await stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
    expect(paid).toMatchObject({ status: 'complete', payment_status: 'paid', url: null });
    expect(paid.payment_intent).toMatchObject({
      object: 'payment_intent',
      status: 'succeeded',
      amount: 30100,
    });
  });

  it('refuses a wrong key with StripeAuthenticationError', async () => {
    const port = Number(new URL(sandbox.url).port);
    const wrong = new Stripe('sk_test_notthekey000000', { host: '127.0.0.1', port, protocol: 'http' });
    await expect(wrong.paymentIntents.create({ amount: 100, currency: 'usd' })).rejects.toMatchObject({
      type: 'StripeAuthenticationError',
      statusCode: 401,
    });
  });

  it('survives a pre-execution 500: stripe-node retries with its key and exactly one intent exists', async () => {
    const order = tag();
    sandbox.control.failNext('server_error');
    const intent = await stripe.paymentIntents.create({ amount: 1500, currency: 'usd', metadata: { order } });
    expect(intent.status).toBe('requires_payment_method');
    const found = await stripe.paymentIntents.search({ query: `metadata['order']:'${order}'` });
    expect(found.data.map((i) => i.id)).toEqual([intent.id]);
  });

  it('replays a stored 500 to stripe-node’s retries instead of executing twice', async () => {
    const order = tag();
    sandbox.crashAfterExecution();
    const error = await stripe.paymentIntents
      .create({ amount: 1500, currency: 'usd', metadata: { order } }, { maxNetworkRetries: 0 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ type: 'StripeAPIError', statusCode: 500 });
    const found = await stripe.paymentIntents.search({ query: `metadata['order']:'${order}'` });
    expect(found.data).toHaveLength(1);
  });

  it('honours an explicit idempotencyKey from stripe-node', async () => {
    const key = `order-${tag()}`;
    const a = await stripe.paymentIntents.create({ amount: 900, currency: 'usd' }, { idempotencyKey: key });
    const b = await stripe.paymentIntents.create({ amount: 900, currency: 'usd' }, { idempotencyKey: key });
    expect(b.id).toBe(a.id);
    await expect(
      stripe.paymentIntents.create({ amount: 901, currency: 'usd' }, { idempotencyKey: key }),
    ).rejects.toMatchObject({
      type: 'StripeIdempotencyError',
    });
  });
});

describe('stripe sandbox idempotency', () => {
  it('replays the first answer for the same key and parameters (any parameter order)', async () => {
    const key = `k-${tag()}`;
    const first = await post('/v1/payment_intents', 'amount=1000&currency=usd&metadata[a]=1', {
      'idempotency-key': key,
    });
    const again = await post('/v1/payment_intents', 'metadata[a]=1&currency=usd&amount=1000', {
      'idempotency-key': key,
    });
    expect(first.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
  });

  it('refuses the same key with other parameters or another endpoint', async () => {
    const key = `k-${tag()}`;
    await post('/v1/payment_intents', 'amount=1000&currency=usd', { 'idempotency-key': key });
    const other = await post('/v1/payment_intents', 'amount=1001&currency=usd', { 'idempotency-key': key });
    expect(other.status).toBe(400);
    expect(other.body.error).toMatchObject({ type: 'idempotency_error' });
    expect(other.body.error?.message).toMatch(/same parameters/);
    const elsewhere = await post('/v1/refunds', 'amount=1000&currency=usd', { 'idempotency-key': key });
    expect(elsewhere.body.error).toMatchObject({ type: 'idempotency_error' });
    expect(elsewhere.body.error?.message).toMatch(/same endpoint/);
  });

  it('stores nothing when validation fails, and refuses keys over 255 characters', async () => {
    const key = `k-${tag()}`;
    const invalid = await post('/v1/payment_intents', 'amount=1000', { 'idempotency-key': key });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'parameter_missing',
      param: 'currency',
    });
    const fixed = await post('/v1/payment_intents', 'amount=1000&currency=usd', { 'idempotency-key': key });
    expect(fixed.status).toBe(200);
    const long = await post('/v1/payment_intents', 'amount=1000&currency=usd', {
      'idempotency-key': 'k'.repeat(256),
    });
    expect(long.status).toBe(400);
    expect(
      (await post('/v1/payment_intents', 'amount=1000&currency=usd', { 'idempotency-key': 'k'.repeat(255) }))
        .status,
    ).toBe(200);
  });

  it('stores a 500 that happened after execution and replays it, with Stripe-Should-Retry: false', async () => {
    const key = `k-${tag()}`;
    const order = tag();
    sandbox.crashAfterExecution();
    const crashed = await post('/v1/payment_intents', `amount=1000&currency=usd&metadata[order]=${order}`, {
      'idempotency-key': key,
    });
    expect(crashed.status).toBe(500);
    expect(crashed.headers.get('stripe-should-retry')).toBe('false');
    expect(crashed.body.error?.type).toBe('api_error');
    const replay = await post('/v1/payment_intents', `amount=1000&currency=usd&metadata[order]=${order}`, {
      'idempotency-key': key,
    });
    expect(replay.status).toBe(500);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await stripe.paymentIntents.search({ query: `metadata['order']:'${order}'` })).data).toHaveLength(
      1,
    );
  });

  it('stores a card decline (402): the retry gets the same decline, not a second attempt', async () => {
    const key = `k-${tag()}`;
    const form = 'amount=1000&currency=usd&payment_method=pm_card_chargeDeclined&confirm=true';
    const first = await post('/v1/payment_intents', form, { 'idempotency-key': key });
    const again = await post('/v1/payment_intents', form, { 'idempotency-key': key });
    expect(first.status).toBe(402);
    expect(again.body).toEqual(first.body);
  });
});

describe('stripe sandbox protocol details', () => {
  it('answers Stripe’s error shapes: missing key, unknown parameter, JSON body, unknown path, missing object', async () => {
    const noKey = await fetch(`${sandbox.url}/v1/payment_intents/pi_x`);
    expect(noKey.status).toBe(401);
    expect(((await noKey.json()) as { error: { message: string } }).error.message).toMatch(
      /did not provide an API key/,
    );
    const unknown = await post('/v1/payment_intents', 'amount=1000&currency=usd&amout=1');
    expect(unknown.body.error).toMatchObject({ type: 'invalid_request_error', param: 'amout' });
    const json = await post('/v1/payment_intents', '{"amount":1000,"currency":"usd"}', {
      'content-type': 'application/json',
    });
    expect(json.body.error).toMatchObject({ code: 'parameter_missing' });
    const path = await post('/v1/nothing', '');
    expect(path.status).toBe(404);
    expect(path.body.error?.message).toMatch(/Unrecognized request URL/);
    await expect(stripe.paymentIntents.retrieve('pi_missing')).rejects.toMatchObject({
      code: 'resource_missing',
      statusCode: 404,
    });
    const small = await post('/v1/payment_intents', 'amount=49&currency=usd');
    expect(small.body.error).toMatchObject({ code: 'amount_too_small', param: 'amount' });
  });

  it('makes a hung request outlast the client, then serves the next one', async () => {
    sandbox.control.failNext('timeout');
    const hung = await fetch(`${sandbox.url}/v1/payment_intents/pi_x`, {
      headers: { authorization: `Bearer ${sandbox.env.STRIPE_SECRET_KEY}` },
      signal: AbortSignal.timeout(200),
    }).catch((e: unknown) => e);
    expect(hung).toBeInstanceOf(Error);
    const next = await post('/v1/payment_intents', 'amount=1000&currency=usd');
    expect(next.status).toBe(200);
  });

  it('serves a usable checkout page and signs its webhooks as Stripe does', async () => {
    await sandbox.settle();
    const before = receiver.received.length;
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [
        {
          quantity: 1,
          price_data: { currency: 'usd', unit_amount: 1234, product_data: { name: '<b>Top-up</b>' } },
        },
      ],
      success_url: 'http://127.0.0.1/ok',
      client_reference_id: 'dep_page',
    });
    const page = await fetch(session.url ?? '');
    const html = await page.text();
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(html).toMatch(/<form method="post"/);
    expect(html).toContain('USD 12.34');
    const mistyped = await fetch(session.url ?? '', {
      method: 'POST',
      body: new URLSearchParams({
        cardNumber: '4242424242424241',
        cardExpiry: '12 / 40',
        cardCvc: '123',
        email: 'a@b.co',
      }),
    });
    expect(mistyped.status).toBe(400);
    const declined = await fetch(session.url ?? '', {
      method: 'POST',
      body: new URLSearchParams({
        cardNumber: '4000 0000 0000 0002',
        cardExpiry: '12 / 40',
        cardCvc: '123',
        email: 'a@b.co',
      }),
      redirect: 'manual',
    });
    expect(declined.status).toBe(402);
    expect(await declined.text()).toContain('Your card was declined.');
    const paid = await fetch(session.url ?? '', {
      method: 'POST',
      body: new URLSearchParams({
        cardNumber: '4242424242424242',
        cardExpiry: '12 / 40',
        cardCvc: '123',
        email: 'a@b.co',
      }),
      redirect: 'manual',
    });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe('http://127.0.0.1/ok');
    await sandbox.settle();
    const types = receiver.received.slice(before).map((w) => {
      const event = stripe.webhooks.constructEvent(
        w.rawBody,
        w.headers['stripe-signature'] ?? '',
        sandbox.env.STRIPE_WEBHOOK_SECRET ?? '',
      );
      return event.type;
    });
    expect(types).toEqual([
      'payment_intent.payment_failed',
      'payment_intent.succeeded',
      'checkout.session.completed',
    ]);
  });

  it('holds events out of order until flush, drops them when missing, and resends on demand', async () => {
    const run = async () => {
      const intent = await stripe.paymentIntents.create({ amount: 800, currency: 'usd' });
      await stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' });
      return intent.id;
    };
    await sandbox.settle();
    sandbox.control.setCallbackMode({ type: 'out_of_order' });
    const sentBefore = sandbox.control.sent.length;
    await run();
    expect(sandbox.control.sent.length).toBe(sentBefore);
    await sandbox.control.flush();
    const flushed = sandbox.control.sent
      .slice(sentBefore)
      .map((c) => (JSON.parse(c.body) as { type: string }).type);
    expect(flushed).toEqual(['payment_intent.succeeded', 'payment_intent.created']);

    await sandbox.settle();
    sandbox.control.setCallbackMode({ type: 'missing' });
    const eventsBefore = sandbox.events.length;
    const missingSent = sandbox.control.sent.length;
    await run();
    expect(sandbox.events.length).toBe(eventsBefore + 2);
    expect(sandbox.control.sent.length).toBe(missingSent);
    sandbox.control.setCallbackMode({ type: 'normal' });

    await sandbox.settle();
    const last = sandbox.control.sent.at(-1);
    if (!last) throw new Error('nothing sent');
    const received = receiver.received.length;
    await sandbox.control.resend(last);
    expect(receiver.received.length).toBe(received + 1);
    expect(receiver.received.at(-1)?.rawBody.toString()).toBe(last.body);
  });

  it('closes promptly with a request hanging', async () => {
    const other = await startStripeSandbox();
    other.control.failNext('timeout');
    const hanging = fetch(`${other.url}/v1/payment_intents/pi_x`).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await other.close();
    await hanging;
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
