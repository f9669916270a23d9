/**
 * Webhooks to merchants: signed deliveries of payment events, the delivery log, retries of a failing
 * endpoint, replay, and isolation between merchants.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sealStoredSecrets } from '../../src/db/seal-stored.ts';
import type { Sandbox } from '../../src/payments/providers/provider.ts';
import { testSecrets } from '../helpers/api.ts';
import { paymentsHarness } from '../helpers/payments.ts';
import { createWebhookEndpoint, webhookReceiver } from '../helpers/webhook-receiver.ts';

const harness = await paymentsHarness({ providers: ['stripe', 'mpesa'], approvalAbove: 'KES=1000,USD=1000' });
const { api } = harness;
const stripe = harness.sandboxes.get('stripe') as Sandbox;

async function merchant(): Promise<Record<string, string>> {
  const admin = await harness.operator('admin');
  const auth = { authorization: `Bearer ${admin.token}` };
  const created = (
    await api.app.inject({ method: 'POST', url: '/v1/merchants', headers: auth, payload: { name: 'Shop' } })
  ).json();
  const key = (
    await api.app.inject({
      method: 'POST',
      url: `/v1/merchants/${created.id}/api_keys`,
      headers: auth,
      payload: { mode: 'test' },
    })
  ).json();
  return { authorization: `Bearer ${key.secret}` };
}

async function pay(auth: Record<string, string>, card: string) {
  const created = await api.app.inject({
    method: 'POST',
    url: '/v1/payments',
    headers: auth,
    payload: {
      provider: 'stripe',
      amount: '9.99',
      currency: 'USD',
      customer: { email: 'buyer@example.com' },
    },
  });
  expect(created.statusCode, created.body).toBe(201);
  await stripe.control.pay(created.json().next_action, card);
  return created.json().id as string;
}

function verify(secret: string, header: string, body: string): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=') as [string, string]));
  const expected = createHmac('sha256', secret).update(`${parts.t}.${body}`).digest();
  const given = Buffer.from(parts.v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('webhooks to merchants', () => {
  it('delivers signed payment.succeeded and payment.failed events, and logs each delivery', async () => {
    const shop = await merchant();
    const target = await webhookReceiver();
    const endpoint = await createWebhookEndpoint(api.app, shop, { url: target.url });
    expect(endpoint.statusCode, endpoint.body).toBe(201);
    const { secret, id: endpointId } = endpoint.json();
    expect(secret).toMatch(/^whsec_/);
    const listed = await api.app.inject({ method: 'GET', url: '/v1/webhook_endpoints', headers: shop });
    expect(JSON.stringify(listed.json())).not.toContain(secret);

    const paid = await pay(shop, '4242424242424242');
    const declined = await pay(shop, '4000000000000002');
    await harness.eventually(async () => (target.received.length >= 2 ? true : undefined));
    const events = target.received.map((r) => ({ ...r, event: JSON.parse(r.body) }));
    const succeeded = events.find((e) => e.event.type === 'payment.succeeded');
    const failed = events.find((e) => e.event.type === 'payment.failed');
    expect(succeeded?.event.data.object).toMatchObject({ id: paid, status: 'succeeded', amount: '9.99' });
    expect(failed?.event.data.object).toMatchObject({ id: declined, status: 'failed' });
    for (const e of events) {
      expect(verify(secret, String(e.headers['chatpay-signature']), e.body)).toBe(true);
      expect(verify(secret, String(e.headers['chatpay-signature']), e.body.replace('9.99', '99.9'))).toBe(
        false,
      );
    }
    const log = await harness.eventually(async () => {
      const body = (
        await api.app.inject({
          method: 'GET',
          url: `/v1/webhook_endpoints/${endpointId}/deliveries`,
          headers: shop,
        })
      ).json();
      return body.data.every((d: { status: string }) => d.status === 'delivered') && body.data.length === 2
        ? body
        : undefined;
    });
    expect(log.data[0]).toMatchObject({ attempts: 1, last_status: 200 });
  });

  it('retries a failing endpoint with backoff, and a replay delivers the same event', async () => {
    const shop = await merchant();
    const target = await webhookReceiver();
    target.state.status = 500;
    const { id: endpointId } = (
      await createWebhookEndpoint(api.app, shop, { url: target.url, events: ['payment.succeeded'] })
    ).json();
    await pay(shop, '4242424242424242');
    const failedOnce = await harness.eventually(async () => {
      const body = (
        await api.app.inject({
          method: 'GET',
          url: `/v1/webhook_endpoints/${endpointId}/deliveries`,
          headers: shop,
        })
      ).json();
      return body.data[0]?.attempts === 1 ? body.data[0] : undefined;
    });
    expect(failedOnce).toMatchObject({ status: 'pending', last_status: 500 });
    expect(failedOnce.last_error).toContain('not today');
    // The delivery's record is written before its job fails; the queue sets the job's backoff a moment later.
    const job = await harness.eventually(async () => {
      const { rows } = await api.database.pool.query(
        `SELECT attempts, run_at > now() AS later FROM graphile_worker.jobs WHERE key LIKE $1`,
        [`whd:${failedOnce.id}%`],
      );
      return rows[0]?.later ? rows[0] : undefined;
    });
    expect(job).toEqual({ attempts: 1, later: true });

    target.state.status = 200;
    const other = await merchant();
    const foreign = await api.app.inject({
      method: 'POST',
      url: `/v1/webhook_deliveries/${failedOnce.id}/replay`,
      headers: other,
      payload: {},
    });
    expect([foreign.statusCode, foreign.json().error.code]).toEqual([404, 'webhook_delivery_not_found']);
    const replayed = await api.app.inject({
      method: 'POST',
      url: `/v1/webhook_deliveries/${failedOnce.id}/replay`,
      headers: shop,
      payload: {},
    });
    expect(replayed.statusCode).toBe(200);
    await harness.eventually(async () => (target.received.some((_, i) => i > 0) ? true : undefined));
    const [first, second] = target.received;
    expect(JSON.parse(second?.body ?? '{}').id).toBe(JSON.parse(first?.body ?? '{}').id);
    const foreignLog = await api.app.inject({
      method: 'GET',
      url: `/v1/webhook_endpoints/${endpointId}/deliveries`,
      headers: other,
    });
    expect(foreignLog.json().data).toEqual([]);
  });

  it('stores the signing secret sealed; one stored in the clear before sealing is sealed and still signs', async () => {
    const shop = await merchant();
    const target = await webhookReceiver();
    const created = await createWebhookEndpoint(api.app, shop, {
      url: target.url,
      events: ['payment.succeeded'],
    });
    const { id, secret } = created.json();
    const stored = async () =>
      (await api.database.pool.query('SELECT secret FROM webhook_endpoints WHERE id = $1', [id])).rows[0]
        .secret as string;
    expect(await stored()).toMatch(/^sealed:v1:[0-9a-f]{8}:/);
    expect(await stored()).not.toContain(secret.slice(6));

    // As an endpoint made before sealing: its secret in the clear, sealed in place by `chatpay migrate`.
    const legacy = 'whsec_legacy_secret_stored_in_the_clear';
    await api.database.pool.query('UPDATE webhook_endpoints SET secret = $2 WHERE id = $1', [id, legacy]);
    expect(await sealStoredSecrets(api.database.pool, testSecrets)).toBeGreaterThanOrEqual(1);
    expect(await stored()).toMatch(/^sealed:v1:/);
    expect(await sealStoredSecrets(api.database.pool, testSecrets)).toBe(0);
    await pay(shop, '4242424242424242');
    await harness.eventually(async () => (target.received.length >= 1 ? true : undefined));
    const delivery = target.received[0];
    if (!delivery) throw new Error('nothing delivered');
    expect(verify(legacy, String(delivery.headers['chatpay-signature']), delivery.body)).toBe(true);
  });

  it('refuses an endpoint URL that is not http(s) or not a URL at all, and an unknown event type', async () => {
    const shop = await merchant();
    for (const payload of [
      { url: 'ftp://example.com/x' },
      // http(s) by its first characters, but no URL: it would fail every delivery, never the request.
      { url: 'http://' },
      { url: 'https://exa mple.com/hooks' },
      { url: 'https://example.com:99999/' },
      { url: 'https://example.com', events: ['payment.stolen'] },
    ]) {
      const refused = await createWebhookEndpoint(api.app, shop, payload);
      expect([payload.url, refused.statusCode, refused.json().error.code]).toEqual([
        payload.url,
        400,
        'validation_failed',
      ]);
    }
    const listed = await api.app.inject({ method: 'GET', url: '/v1/webhook_endpoints', headers: shop });
    expect(listed.json().data).toEqual([]);
  });

  it('pays out from the merchant balance and reports payout.succeeded; another merchant can’t see it', async () => {
    const shop = await merchant();
    const target = await webhookReceiver();
    await createWebhookEndpoint(api.app, shop, {
      url: target.url,
      events: ['payout.succeeded', 'payout.failed'],
    });
    const collected = await api.app.inject({
      method: 'POST',
      url: '/v1/payments',
      headers: shop,
      payload: { provider: 'mpesa', amount: '500.00', currency: 'KES', customer: { phone: '+254708374149' } },
    });
    await harness.eventually(async () => {
      const body = (
        await api.app.inject({ method: 'GET', url: `/v1/payments/${collected.json().id}`, headers: shop })
      ).json();
      return body.status === 'succeeded' ? true : undefined;
    });
    const payout = await api.app.inject({
      method: 'POST',
      url: '/v1/payouts',
      headers: { ...shop, 'idempotency-key': 'payout-1' },
      payload: {
        provider: 'mpesa',
        amount: '200.00',
        currency: 'KES',
        destination: { phone: '+254708374149' },
      },
    });
    expect(payout.statusCode, payout.body).toBe(201);
    expect(payout.json()).toMatchObject({ object: 'payout', status: 'pending', fee: '0.00' });
    await harness.eventually(async () => (target.received.length > 0 ? true : undefined));
    expect(JSON.parse(target.received[0]?.body ?? '{}')).toMatchObject({
      type: 'payout.succeeded',
      data: { object: { id: payout.json().id, status: 'succeeded' } },
    });
    const other = await merchant();
    const foreign = await api.app.inject({
      method: 'GET',
      url: `/v1/payouts/${payout.json().id}`,
      headers: other,
    });
    expect([foreign.statusCode, foreign.json().error.code]).toEqual([404, 'payout_not_found']);
    const tooMuch = await api.app.inject({
      method: 'POST',
      url: '/v1/payouts',
      headers: shop,
      payload: {
        provider: 'mpesa',
        amount: '400.00',
        currency: 'KES',
        destination: { phone: '+254708374149' },
      },
    });
    expect(tooMuch.json().error.code).toBe('insufficient_funds');
    expect(await api.services.ledger.verify()).toEqual([]);
  });

  it('reports payout.failed when an operator rejects a large payout, and releases the hold', async () => {
    const shop = await merchant();
    const target = await webhookReceiver();
    await createWebhookEndpoint(api.app, shop, { url: target.url });
    const collected = await api.app.inject({
      method: 'POST',
      url: '/v1/payments',
      headers: shop,
      payload: {
        provider: 'mpesa',
        amount: '3000.00',
        currency: 'KES',
        customer: { phone: '+254708374149' },
      },
    });
    await harness.eventually(async () => (target.received.length > 0 ? true : undefined));
    const payout = await api.app.inject({
      method: 'POST',
      url: '/v1/payouts',
      headers: shop,
      payload: {
        provider: 'mpesa',
        amount: '2000.00',
        currency: 'KES',
        destination: { phone: '+254708374149' },
      },
    });
    expect(payout.json().status).toBe('requires_approval');
    const finance = await harness.operator('finance');
    const rejected = await api.app.inject({
      method: 'POST',
      url: `/v1/withdrawals/${payout.json().id}/reject`,
      headers: finance.auth,
      payload: { reason: 'unknown beneficiary' },
    });
    expect(rejected.json()).toMatchObject({
      status: 'rejected',
      decision: { reason: 'unknown beneficiary' },
    });
    await harness.eventually(async () =>
      target.received.some((r) => JSON.parse(r.body).type === 'payout.failed') ? true : undefined,
    );
    const balance = await api.app.inject({ method: 'GET', url: '/v1/balance', headers: shop });
    expect(JSON.stringify(balance.json())).toContain('3000.00');
    expect(collected.statusCode).toBe(201);
  });
});
