/**
 * Stripe's official package signing webhooks for our endpoint; a worker dying mid-job; the circuit
 * breaker; merchant collections and their isolation.
 */
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { applyWebhook } from '../../src/payments/inbox.ts';
import type { Sandbox } from '../../src/payments/providers/provider.ts';
import { findPayment } from '../../src/payments/records.ts';
import { moveMoney } from '../../src/payments/settle.ts';
import { walletAccountId } from '../../src/wallets/index.ts';
import type { TestUser } from '../helpers/api.ts';
import { paymentsHarness } from '../helpers/payments.ts';

const harness = await paymentsHarness({
  providers: ['mpesa', 'chapa', 'stripe'],
  worker: false,
  timeoutMs: 300,
  breakerFailuresMax: 3,
});
const { api } = harness;
const stripeSandbox = harness.sandboxes.get('stripe') as Sandbox;
let keys = 0;

function post(user: TestUser, url: string, payload: unknown) {
  return api.app.inject({
    method: 'POST',
    url,
    headers: { ...user.auth, 'idempotency-key': `r-${keys++}` },
    payload: payload as Record<string, unknown>,
  });
}

async function balance(userId: string, currency: string) {
  const a = await api.services.ledger.getAccount(walletAccountId(userId, currency));
  return a ? a.creditsPosted - a.debitsPosted : 0n;
}

describe('Stripe webhooks signed by the official stripe package', () => {
  const secret = stripeSandbox.env.STRIPE_WEBHOOK_SECRET as string;
  const payload = JSON.stringify({
    id: 'evt_official_1',
    object: 'event',
    type: 'customer.created',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    data: { object: { id: 'cus_1', object: 'customer' } },
  });
  const send = (body: string, header: string) =>
    fetch(`${harness.baseUrl}/v1/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': header },
      body,
    });

  it('accepts a fresh one and stores it once', async () => {
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret });
    expect((await send(payload, header)).status).toBe(200);
    expect((await send(payload, header)).status).toBe(200);
    const { rows } = await api.database.pool.query(
      `SELECT count(*)::int AS n FROM webhook_events WHERE provider = 'stripe' AND event_id = 'evt_official_1'`,
    );
    expect(rows[0].n).toBe(1);
  });

  it('rejects a tampered body, and one signed six minutes ago or six minutes ahead', async () => {
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret });
    expect((await send(payload.replace('cus_1', 'cus_2'), header)).status).toBe(401);
    const now = Math.floor(Date.now() / 1000);
    for (const timestamp of [now - 360, now + 360]) {
      const stale = Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
      expect((await send(payload, stale)).status).toBe(401);
    }
    const wrongSecret = Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_not_ours' });
    expect((await send(payload, wrongSecret)).status).toBe(401);
  });
});

describe('a worker that dies mid-job', () => {
  it('finishes after restart with no double credit', async () => {
    const user = await api.register();
    const created = (
      await post(user, '/v1/deposits', {
        provider: 'mpesa',
        amount: '250.00',
        currency: 'KES',
        phone: '+254708374149',
      })
    ).json();
    // The callback is stored and its job queued; no worker runs yet.
    const event = await harness.eventually(async () => {
      const { rows } = await api.database.pool.query<{ id: string }>(
        `SELECT id FROM webhook_events WHERE provider = 'mpesa' AND verified AND processed_at IS NULL`,
      );
      return rows[0];
    });
    // The dying worker got as far as moving the money, not as far as recording it.
    const payment = await findPayment(api.database.pool, created.id);
    if (!payment) throw new Error('no payment');
    expect(await moveMoney(api.services.payments.context, payment, 'succeeded')).toBeUndefined();
    expect((await findPayment(api.database.pool, created.id))?.status).toBe('pending');
    // Restarted: the queued job runs again, and a duplicate run of it too.
    await harness.startWorker();
    await harness.eventually(async () =>
      (await findPayment(api.database.pool, created.id))?.status === 'succeeded' ? true : undefined,
    );
    // The payment settles a statement before the event is marked processed; a run in between finds
    // the payment settled ('duplicate'), one after finds the event done. Neither moves money again.
    await harness.eventually(async () => {
      const { rows } = await api.database.pool.query(
        'SELECT 1 FROM webhook_events WHERE id = $1 AND processed_at IS NOT NULL',
        [event.id],
      );
      return rows[0];
    });
    expect(await applyWebhook(api.services.payments.context, event.id)).toBe('done');
    expect(await balance(user.id, 'KES')).toBe(25_000n);
    expect(await api.services.ledger.verify()).toEqual([]);
  });
});

describe('the circuit breaker', () => {
  it('opens after repeated timeouts: new deposits fail fast with provider_unavailable and record nothing', async () => {
    const user = await api.register();
    const chapa = harness.sandboxes.get('chapa') as Sandbox;
    chapa.control.failNext('timeout', 3);
    for (let i = 0; i < 3; i++) {
      const timedOut = await post(user, '/v1/deposits', {
        provider: 'chapa',
        amount: '10.00',
        currency: 'ETB',
        email: 'e@example.com',
      });
      expect(timedOut.json().error.code).toBe('provider_unavailable');
      // It may have reached the provider: it stays pending for reconciliation.
      expect(timedOut.json().error.message).toMatch(/stays pending/);
    }
    const { rows: before } = await api.database.pool.query(`SELECT count(*)::int AS n FROM payments`);
    const fast = await post(user, '/v1/deposits', {
      provider: 'chapa',
      amount: '10.00',
      currency: 'ETB',
      email: 'e@example.com',
    });
    expect([fast.statusCode, fast.json().error.code]).toEqual([503, 'provider_unavailable']);
    const { rows: after } = await api.database.pool.query(`SELECT count(*)::int AS n FROM payments`);
    expect(after[0].n).toBe(before[0].n);
    const providers = await api.app.inject({ method: 'GET', url: '/v1/providers', headers: user.auth });
    expect(providers.json().data.find((p: { id: string }) => p.id === 'chapa').circuit).toBe('open');
    // Other providers are not affected.
    const mpesa = await post(user, '/v1/deposits', {
      provider: 'mpesa',
      amount: '10.00',
      currency: 'KES',
      phone: '+254708374149',
    });
    expect(mpesa.statusCode).toBe(201);
  });
});

describe('merchant collections', () => {
  async function merchantKey(mode: 'test' | 'live') {
    const admin = await harness.operator('admin');
    const merchant = (await post(admin, '/v1/merchants', { name: `Shop ${keys}` })).json();
    const key = (await post(admin, `/v1/merchants/${merchant.id}/api_keys`, { mode })).json();
    return { id: merchant.id as string, auth: { authorization: `Bearer ${key.secret}` } };
  }

  it('collects into the merchant’s account, and no other merchant can see the payment', async () => {
    const shop = await merchantKey('test');
    const other = await merchantKey('test');
    const created = await api.app.inject({
      method: 'POST',
      url: '/v1/payments',
      headers: { ...shop.auth, 'idempotency-key': 'order-1' },
      payload: {
        provider: 'stripe',
        amount: '42.00',
        currency: 'USD',
        customer: { email: 'buyer@example.com', name: 'Buyer' },
        metadata: { order: '1' },
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ object: 'payment', status: 'pending', metadata: { order: '1' } });
    await stripeSandbox.control.pay(created.json().next_action, '4242424242424242');
    await harness.startWorker();
    const paid = await harness.eventually(async () => {
      const body = (
        await api.app.inject({ method: 'GET', url: `/v1/payments/${created.json().id}`, headers: shop.auth })
      ).json();
      return body.status === 'succeeded' ? body : undefined;
    });
    expect(paid.customer).toMatchObject({ email: 'buyer@example.com' });
    const balanceView = await api.app.inject({ method: 'GET', url: '/v1/balance', headers: shop.auth });
    expect(JSON.stringify(balanceView.json())).toContain('42.00');
    const foreign = await api.app.inject({
      method: 'GET',
      url: `/v1/payments/${created.json().id}`,
      headers: other.auth,
    });
    expect([foreign.statusCode, foreign.json().error.code]).toEqual([404, 'payment_not_found']);
    const list = await api.app.inject({ method: 'GET', url: '/v1/payments', headers: other.auth });
    expect(list.json().data).toEqual([]);
  });

  it('refunds in part and in full, never more than was paid, once per Idempotency-Key', async () => {
    const shop = await merchantKey('test');
    const other = await merchantKey('test');
    const created = await api.app.inject({
      method: 'POST',
      url: '/v1/payments',
      headers: shop.auth,
      payload: {
        provider: 'stripe',
        amount: '30.00',
        currency: 'USD',
        customer: { email: 'buyer@example.com' },
      },
    });
    await stripeSandbox.control.pay(created.json().next_action, '4242424242424242');
    const id = created.json().id;
    await harness.eventually(async () => {
      const body = (
        await api.app.inject({ method: 'GET', url: `/v1/payments/${id}`, headers: shop.auth })
      ).json();
      return body.status === 'succeeded' ? body : undefined;
    });
    const refund = (amount: string | undefined, key: string, auth = shop.auth) =>
      api.app.inject({
        method: 'POST',
        url: `/v1/payments/${id}/refund`,
        headers: { ...auth, 'idempotency-key': key },
        payload: amount === undefined ? {} : { amount },
      });
    const foreign = await refund('1.00', 'f-1', other.auth);
    expect([foreign.statusCode, foreign.json().error.code]).toEqual([404, 'payment_not_found']);
    const first = await refund('10.00', 'r-1');
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ object: 'refund', amount: '10.00', payment_id: id });
    const retried = await refund('10.00', 'r-1');
    expect(retried.json().id).toBe(first.json().id);
    const tooMuch = await refund('20.01', 'r-2');
    expect([tooMuch.statusCode, tooMuch.json().error.code]).toEqual([400, 'refund_not_possible']);
    const rest = await refund(undefined, 'r-3');
    expect(rest.json().amount).toBe('20.00');
    const after = (
      await api.app.inject({ method: 'GET', url: `/v1/payments/${id}`, headers: shop.auth })
    ).json();
    expect(after).toMatchObject({ status: 'refunded', refunded: '30.00' });
    const account = await api.services.ledger.getAccount(`mer_${shop.id.replace(/^mer_/, '')}_test_USD`);
    expect(account ? account.creditsPosted - account.debitsPosted : -1n).toBe(0n);
    const none = await refund('1.00', 'r-4');
    expect(none.json().error.code).toBe('refund_not_possible');
    expect(await api.services.ledger.verify()).toEqual([]);
  });

  it('keeps a refund the provider did not answer pending and held, and a retry finishes it once', async () => {
    const shop = await merchantKey('test');
    const created = await api.app.inject({
      method: 'POST',
      url: '/v1/payments',
      headers: shop.auth,
      payload: {
        provider: 'stripe',
        amount: '12.00',
        currency: 'USD',
        customer: { email: 'buyer@example.com' },
      },
    });
    await stripeSandbox.control.pay(created.json().next_action, '4242424242424242');
    const id = created.json().id;
    await harness.eventually(async () => {
      const body = (
        await api.app.inject({ method: 'GET', url: `/v1/payments/${id}`, headers: shop.auth })
      ).json();
      return body.status === 'succeeded' ? body : undefined;
    });
    const account = `mer_${shop.id.replace(/^mer_/, '')}_test_USD`;
    const available = async () => {
      const a = await api.services.ledger.getAccount(account);
      return a ? a.creditsPosted - a.debitsPosted - a.debitsPending : -1n;
    };
    const refund = (payload: Record<string, string>, key: string) =>
      api.app.inject({
        method: 'POST',
        url: `/v1/payments/${id}/refund`,
        headers: { ...shop.auth, 'idempotency-key': key },
        payload,
      });
    for (const [amount, code] of [
      ['abc', 'amount_invalid'],
      ['0', 'amount_must_be_positive'],
      ['1.001', 'amount_too_precise'],
      ['12.01', 'refund_not_possible'],
    ] as const) {
      const refused = await refund({ amount }, `bad-${amount}`);
      expect([refused.statusCode, refused.json().error.code]).toEqual([400, code]);
    }
    expect(await available()).toBe(1_200n);

    stripeSandbox.control.failNext('timeout');
    const unanswered = await refund({ amount: '5.00' }, 'slow-1');
    expect([unanswered.statusCode, unanswered.json().error.code]).toEqual([503, 'provider_unavailable']);
    // Not released: the provider may have paid it.
    expect(await available()).toBe(700n);
    const { rows } = await api.database.pool.query(`SELECT status FROM refunds WHERE payment_id = $1`, [id]);
    expect(rows).toEqual([{ status: 'pending' }]);

    const retried = await refund({ amount: '5.00' }, 'slow-1');
    expect([retried.statusCode, retried.json().status]).toEqual([201, 'succeeded']);
    expect(await available()).toBe(700n);
    const after = (
      await api.app.inject({ method: 'GET', url: `/v1/payments/${id}`, headers: shop.auth })
    ).json();
    expect(after.refunded).toBe('5.00');
    expect(await api.services.ledger.verify()).toEqual([]);
  });

  it('refuses a live key on a sandbox provider', async () => {
    const live = await merchantKey('live');
    const refused = await api.app.inject({
      method: 'POST',
      url: '/v1/payments',
      headers: live.auth,
      payload: { provider: 'stripe', amount: '1.00', currency: 'USD', customer: { email: 'x@example.com' } },
    });
    expect([refused.statusCode, refused.json().error.code]).toEqual([400, 'provider_mode_mismatch']);
  });
});
