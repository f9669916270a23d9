import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/logger.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../conformance/receiver.ts';
import { type CollectionRequest, ProviderError, WebhookVerificationError } from '../provider.ts';
import { StripeAdapter, stripeError } from './adapter.ts';
import { type StripeSandbox, startStripeSandbox } from './sandbox.ts';

const secret = 'whsec_test_secret_for_adapter_tests';
const logger = createLogger('silent');
const nowSeconds = 1_900_000_000;

function offlineAdapter(now = nowSeconds, webhookSecret: string | null = secret): StripeAdapter {
  return new StripeAdapter(
    {
      env: {
        STRIPE_SECRET_KEY: 'sk_test_offline',
        ...(webhookSecret ? { STRIPE_WEBHOOK_SECRET: webhookSecret } : {}),
        STRIPE_API_BASE: 'http://127.0.0.1:9',
      },
      mode: 'test',
      timeoutMs: 500,
      logger,
    },
    () => now,
  );
}

const eventBody = JSON.stringify({
  id: 'evt_1Test',
  object: 'event',
  api_version: '2026-10-28.endive',
  created: nowSeconds,
  type: 'checkout.session.completed',
  livemode: false,
  data: {
    object: {
      id: 'cs_test_1',
      object: 'checkout.session',
      amount_total: 5000,
      currency: 'ugx',
      client_reference_id: 'dep_1',
      metadata: { reference: 'dep_1' },
      payment_intent: 'pi_1',
      payment_status: 'paid',
      status: 'complete',
    },
  },
});

function signed(payload: string, timestamp = nowSeconds, signingSecret = secret) {
  const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: signingSecret, timestamp });
  return { headers: { 'stripe-signature': header }, rawBody: Buffer.from(payload) };
}

function reasonOf(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError);
    return (error as WebhookVerificationError).reason;
  }
}

describe('stripe webhook verification (signed by the official stripe package)', () => {
  const adapter = offlineAdapter();

  it('accepts what stripe.webhooks.generateTestHeaderString signs', () => {
    expect(() => adapter.verifyWebhook(signed(eventBody))).not.toThrow();
  });

  it('refuses a tampered body, another secret, and a missing or empty header', () => {
    const request = signed(eventBody);
    const tampered = { ...request, rawBody: Buffer.from(eventBody.replace('5000', '9000')) };
    expect(reasonOf(() => adapter.verifyWebhook(tampered))).toBe('signature_invalid');
    expect(reasonOf(() => adapter.verifyWebhook(signed(eventBody, nowSeconds, 'whsec_other')))).toBe(
      'signature_invalid',
    );
    expect(reasonOf(() => adapter.verifyWebhook({ headers: {}, rawBody: request.rawBody }))).toBe(
      'signature_missing',
    );
    const noV1 = { headers: { 'stripe-signature': `t=${nowSeconds},v0=abc` }, rawBody: request.rawBody };
    expect(reasonOf(() => adapter.verifyWebhook(noV1))).toBe('signature_missing');
  });

  it('refuses a timestamp 6 minutes old or 6 minutes ahead, accepts 4 minutes either way', () => {
    expect(reasonOf(() => adapter.verifyWebhook(signed(eventBody, nowSeconds - 360)))).toBe(
      'timestamp_out_of_tolerance',
    );
    expect(reasonOf(() => adapter.verifyWebhook(signed(eventBody, nowSeconds + 360)))).toBe(
      'timestamp_out_of_tolerance',
    );
    expect(reasonOf(() => adapter.verifyWebhook(signed(eventBody, nowSeconds - 240)))).toBeUndefined();
    expect(reasonOf(() => adapter.verifyWebhook(signed(eventBody, nowSeconds + 240)))).toBeUndefined();
  });

  it('accepts a header with several v1 values when one of them matches (secret rollover)', () => {
    const good = signed(eventBody).headers['stripe-signature'];
    const goodV1 = /v1=([0-9a-f]{64})/.exec(good)?.[1];
    const other = /v1=([0-9a-f]{64})/.exec(
      signed(eventBody, nowSeconds, 'whsec_old').headers['stripe-signature'],
    )?.[1];
    const header = `t=${nowSeconds},v1=${other},v1=${'0'.repeat(64)},v1=${goodV1},v0=${'1'.repeat(64)}`;
    expect(() =>
      adapter.verifyWebhook({ headers: { 'stripe-signature': header }, rawBody: Buffer.from(eventBody) }),
    ).not.toThrow();
    const allWrong = `t=${nowSeconds},v1=${other},v1=short`;
    expect(
      reasonOf(() =>
        adapter.verifyWebhook({ headers: { 'stripe-signature': allWrong }, rawBody: Buffer.from(eventBody) }),
      ),
    ).toBe('signature_invalid');
  });

  it('refuses every webhook when no signing secret is configured', () => {
    expect(reasonOf(() => offlineAdapter(nowSeconds, null).verifyWebhook(signed(eventBody)))).toBe(
      'signature_invalid',
    );
  });

  it('never puts the signing secret in an error message', () => {
    try {
      adapter.verifyWebhook(signed(eventBody, nowSeconds, 'whsec_other'));
    } catch (error) {
      expect(String(error)).not.toContain(secret);
    }
  });
});

describe('stripe webhook parsing', () => {
  const adapter = offlineAdapter();

  it('reads a checkout.session.completed event, evt_ id as event id, zero-decimal amount', () => {
    const [event] = adapter.parseWebhook(signed(eventBody));
    expect(event).toMatchObject({
      eventId: 'evt_1Test',
      kind: 'collection',
      status: 'succeeded',
      reference: 'dep_1',
      providerId: 'cs_test_1',
      amountMinor: 5000n,
      currency: 'UGX',
      requiresConfirmation: false,
    });
    expect(adapter.parseWebhook(signed(eventBody))[0]?.eventId).toBe('evt_1Test');
  });

  it('refuses bodies that are not Stripe events', () => {
    const parse = (body: string) =>
      reasonOf(() => adapter.parseWebhook({ headers: {}, rawBody: Buffer.from(body) }));
    expect(parse('not json')).toBe('malformed');
    expect(parse('{"object":"event","type":"x","data":{"object":{}}}')).toBe('malformed');
    expect(parse('{"id":"evt_1","object":"event","type":"x"}')).toBe('malformed');
    expect(
      parse(
        '{"id":"evt_1","object":"event","type":"payment_intent.succeeded","data":{"object":{"object":"payment_intent"}}}',
      ),
    ).toBe('malformed');
  });
});

describe('stripe error mapping', () => {
  const response = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
    status,
    headers: new Headers(headers),
    text: JSON.stringify(body),
    json: body,
  });

  it('maps Stripe error answers to ProviderError kinds', () => {
    const card = stripeError(
      response(402, {
        error: {
          type: 'card_error',
          code: 'card_declined',
          decline_code: 'insufficient_funds',
          message: 'No money.',
        },
      }),
    );
    expect(card).toMatchObject({ kind: 'declined', retryable: false, providerCode: 'insufficient_funds' });
    expect(card.failure?.code).toBe('insufficient_funds');
    const auth = stripeError(
      response(401, {
        error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_****abcd' },
      }),
    );
    expect(auth).toMatchObject({ kind: 'auth', retryable: false });
    expect(auth.message).not.toContain('abcd');
    expect(stripeError(response(400, { error: { type: 'idempotency_error', message: 'x' } }))).toMatchObject({
      kind: 'invalid_request',
      retryable: false,
    });
    expect(stripeError(response(429, { error: { type: 'rate_limit_error' } }))).toMatchObject({
      kind: 'unavailable',
      retryable: true,
    });
    expect(stripeError(response(409, { error: { type: 'idempotency_error' } }))).toMatchObject({
      kind: 'unavailable',
      retryable: true,
    });
    expect(stripeError(response(500, { error: { type: 'api_error' } }))).toMatchObject({
      kind: 'unavailable',
      retryable: true,
    });
    expect(
      stripeError(response(500, { error: { type: 'api_error' } }, { 'stripe-should-retry': 'false' }))
        .retryable,
    ).toBe(false);
    expect(
      stripeError(
        response(400, { error: { type: 'invalid_request_error' } }, { 'stripe-should-retry': 'true' }),
      ).retryable,
    ).toBe(true);
  });
});

describe('stripe adapter against the sandbox', () => {
  let sandbox: StripeSandbox;
  let receiver: WebhookReceiver;
  let adapter: StripeAdapter;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    sandbox = await startStripeSandbox({ webhookUrl: `${receiver.url}/v1/webhooks/stripe` });
    adapter = new StripeAdapter({ env: sandbox.env, mode: 'test', timeoutMs: 1_000, logger });
  });
  afterAll(async () => {
    await sandbox?.close();
    await receiver?.close();
  });

  const request = (fields: Partial<CollectionRequest> = {}): CollectionRequest => ({
    reference: `dep_${randomBytes(8).toString('hex')}`,
    amountMinor: 1234n,
    currency: 'USD',
    email: 'payer@example.com',
    description: 'Top-up',
    callbackUrl: `${receiver.url}/v1/webhooks/stripe`,
    returnUrl: 'http://127.0.0.1/return',
    ...fields,
  });

  it('refuses wrong credentials as auth, without the key in the message', async () => {
    const wrong = new StripeAdapter({
      env: { ...sandbox.env, STRIPE_SECRET_KEY: 'sk_test_wrongwrongwrong1234' },
      mode: 'test',
      timeoutMs: 1_000,
      logger,
    });
    const error = await wrong.initiateCollection(request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'auth', httpStatus: 401, retryable: false });
    expect(String(error)).not.toContain('1234');
  });

  it('refuses unsupported currencies and amounts before calling Stripe', async () => {
    const before = sandbox.events.length;
    await expect(adapter.initiateCollection(request({ currency: 'ZWG' }))).rejects.toMatchObject({
      kind: 'invalid_request',
    });
    await expect(adapter.initiateCollection(request({ amountMinor: 100_000_000n }))).rejects.toMatchObject({
      kind: 'invalid_request',
    });
    await expect(
      adapter.getStatus({ kind: 'payout', reference: 'wd_1', providerId: null }),
    ).rejects.toMatchObject({
      kind: 'invalid_request',
    });
    expect(sandbox.events.length).toBe(before);
  });

  it('answers a repeated reference with the same session, and a changed one with invalid_request', async () => {
    const first = request();
    const a = await adapter.initiateCollection(first);
    const b = await adapter.initiateCollection(first);
    expect(b.providerId).toBe(a.providerId);
    const changed = await adapter
      .initiateCollection({ ...first, amountMinor: 999n })
      .catch((e: unknown) => e);
    expect(changed).toMatchObject({ kind: 'invalid_request', httpStatus: 400, retryable: false });
  });

  it('sends UGX as whole shillings and reads them back', async () => {
    const req = request({ currency: 'UGX', amountMinor: 5000n });
    const result = await adapter.initiateCollection(req);
    await sandbox.control.pay(result.nextAction, '4242424242424242');
    const status = await adapter.getStatus({
      kind: 'collection',
      reference: req.reference,
      providerId: result.providerId,
    });
    expect(status).toMatchObject({
      status: 'succeeded',
      amountMinor: 5000n,
      currency: 'UGX',
      reference: req.reference,
    });
    const created = sandbox.events.find(
      (e) =>
        e.type === 'checkout.session.completed' && (e.data.object as { id: string }).id === result.providerId,
    );
    expect(created?.data.object).toMatchObject({ amount_total: 5000, currency: 'ugx' });
  });

  it('finds a payment by reference alone (no provider id) through PaymentIntent search', async () => {
    const req = request();
    const result = await adapter.initiateCollection(req);
    expect(
      await adapter.getStatus({ kind: 'collection', reference: req.reference, providerId: null }),
    ).toMatchObject({
      status: 'pending',
    });
    await sandbox.control.pay(result.nextAction, '4000000000009995');
    const status = await adapter.getStatus({
      kind: 'collection',
      reference: req.reference,
      providerId: null,
    });
    expect(status).toMatchObject({
      status: 'failed',
      failure: { code: 'insufficient_funds' },
      reference: req.reference,
    });
    expect(status.providerId).toMatch(/^pi_/);
  });

  it('leaves a 3D Secure card pending, with no webhook', async () => {
    const result = await adapter.initiateCollection(request());
    const sent = sandbox.control.sent.length;
    await sandbox.control.pay(result.nextAction, '4000000000003220');
    const status = await adapter.getStatus({
      kind: 'collection',
      reference: 'x',
      providerId: result.providerId,
    });
    expect(status.status).toBe('pending');
    expect(sandbox.control.sent.length).toBe(sent);
  });

  it('refunds through the session id, idempotently per refund id', async () => {
    const req = request();
    const result = await adapter.initiateCollection(req);
    await sandbox.control.pay(result.nextAction, '4242424242424242');
    const refund = {
      refundId: `rf_${randomBytes(6).toString('hex')}`,
      paymentReference: req.reference,
      providerId: result.providerId,
      amountMinor: 234n,
      currency: 'USD',
    };
    const first = await adapter.refund(refund);
    expect(first.status).toBe('succeeded');
    expect(first.providerId).toMatch(/^re_/);
    expect((await adapter.refund(refund)).providerId).toBe(first.providerId);
    const tooMuch = await adapter
      .refund({ ...refund, refundId: 'rf_second', amountMinor: 1001n })
      .catch((e: unknown) => e);
    expect(tooMuch).toMatchObject({ kind: 'invalid_request', providerCode: 'amount_too_large' });
    const webhook = await receiver.waitFor(
      (w) => adapter.parseWebhook(w).some((e) => e.kind === 'refund' && e.reference === refund.refundId),
      5_000,
    );
    expect(() => adapter.verifyWebhook(webhook)).not.toThrow();
    expect(adapter.parseWebhook(webhook)[0]).toMatchObject({
      status: 'succeeded',
      amountMinor: 234n,
      currency: 'USD',
    });
  });

  it('reports a 500 that Stripe stored under the key as not retryable, and replays it', async () => {
    const req = request();
    sandbox.crashAfterExecution();
    const crashed = await adapter.initiateCollection(req).catch((e: unknown) => e);
    expect(crashed).toMatchObject({ kind: 'unavailable', httpStatus: 500, retryable: false });
    const again = await adapter.initiateCollection(req).catch((e: unknown) => e);
    expect(again).toMatchObject({ kind: 'unavailable', httpStatus: 500 });
  });
});
