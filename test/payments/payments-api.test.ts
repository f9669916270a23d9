/**
 * The payments API around the providers: quotes and fees, limits, bad input that changes nothing,
 * PINs, approval with maker-checker, webhook signatures, realtime notices and the operator API.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RealtimeEvent } from '../../src/realtime/index.ts';
import { type TestUser, testPin } from '../helpers/api.ts';
import { paymentsHarness } from '../helpers/payments.ts';

const harness = await paymentsHarness({
  providers: ['mpesa', 'chapa', 'stripe'],
  feesJson: JSON.stringify([
    { provider: 'mpesa', currency: 'KES', direction: 'withdrawal', percent: '1', fixed: '10' },
    { provider: 'chapa', currency: 'ETB', direction: 'deposit', percent: '2', min: '1' },
  ]),
  limitsJson: JSON.stringify([
    {
      currency: 'KES',
      direction: 'deposit',
      per_transaction_min: '10',
      per_transaction_max: '5000',
      per_day_max: '6000',
    },
  ]),
  approvalAbove: 'KES=1000,ETB=1000000',
});
const { api } = harness;
const mpesaPhone = '+254708374149';
let keys = 0;

function post(user: TestUser | undefined, url: string, payload: unknown, key = `k-${keys++}`) {
  return api.app.inject({
    method: 'POST',
    url,
    headers: { ...(user?.auth ?? {}), 'idempotency-key': key },
    payload: payload as Record<string, unknown>,
  });
}

async function rowCount(table: string): Promise<number> {
  const { rows } = await api.database.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`);
  return Number(rows[0]?.n);
}

async function final(user: TestUser, kind: 'deposits' | 'withdrawals', id: string) {
  return harness.eventually(async () => {
    const body = (
      await api.app.inject({ method: 'GET', url: `/v1/${kind}/${id}`, headers: user.auth })
    ).json();
    return ['pending', 'requires_approval'].includes(body.status) ? undefined : body;
  });
}

describe('quotes and fees', () => {
  it('quotes amount, fee and total, and charges exactly that fee as a linked ledger transfer', async () => {
    const user = await api.register();
    const quote = await post(user, '/v1/quotes', {
      provider: 'chapa',
      direction: 'deposit',
      amount: '200.00',
      currency: 'ETB',
    });
    expect(quote.json()).toMatchObject({
      amount: '200.00',
      fee: '4.00',
      total: '204.00',
      requires_approval: false,
    });
    const created = await post(user, '/v1/deposits', {
      provider: 'chapa',
      amount: '200.00',
      currency: 'ETB',
      email: 'a@example.com',
    });
    expect(created.json()).toMatchObject({ status: 'pending', fee: '4.00', total: '204.00' });
    await harness.sandboxes.get('chapa')?.control.pay(created.json().next_action, '4242424242424242');
    expect((await final(user, 'deposits', created.json().id)).status).toBe('succeeded');
    expect(await api.available(user.id, 'ETB')).toBe(20_000n);
    const fees = await api.services.ledger.getAccount('fees_test_ETB');
    expect(fees?.creditsPosted).toBeGreaterThanOrEqual(400n);
    const feeTransfer = await api.services.ledger.getTransfer(`${created.json().id}_crfee`);
    expect(feeTransfer?.amount).toBe(400n);
  });

  it('shows a withdrawal fee and whether approval is needed', async () => {
    const user = await api.register();
    const small = await post(user, '/v1/quotes', {
      provider: 'mpesa',
      direction: 'withdrawal',
      amount: '100.00',
      currency: 'KES',
    });
    expect(small.json()).toMatchObject({ fee: '11.00', total: '111.00', requires_approval: false });
    const large = await post(user, '/v1/quotes', {
      provider: 'mpesa',
      direction: 'withdrawal',
      amount: '2000.00',
      currency: 'KES',
    });
    expect(large.json()).toMatchObject({ fee: '30.00', total: '2030.00', requires_approval: true });
  });
});

describe('bad input gets a clear error and changes nothing', () => {
  it.each([
    [{ provider: 'paypal', amount: '100.00', currency: 'KES', phone: mpesaPhone }, 400, 'provider_unknown'],
    [
      { provider: 'mpesa', amount: '100.00', currency: 'ETB', phone: mpesaPhone },
      400,
      'currency_not_supported',
    ],
    [
      { provider: 'mpesa', amount: '100.50', currency: 'KES', phone: mpesaPhone },
      400,
      'amount_not_supported',
    ],
    [{ provider: 'mpesa', amount: '100.00', currency: 'KES' }, 400, 'payer_required'],
    [{ provider: 'mpesa', amount: '100.00', currency: 'KES', phone: '12' }, 400, 'validation_failed'],
    [{ provider: 'mpesa', amount: '100.00', currency: 'KES', phone: '+2541' }, 400, 'phone_invalid'],
    [{ provider: 'mpesa', amount: '5.00', currency: 'KES', phone: mpesaPhone }, 400, 'amount_below_minimum'],
    [{ provider: 'mpesa', amount: '5001.00', currency: 'KES', phone: mpesaPhone }, 400, 'limit_exceeded'],
    [{ provider: 'mpesa', amount: 100, currency: 'KES', phone: mpesaPhone }, 400, 'validation_failed'],
    [{ provider: 'mpesa', amount: '-1', currency: 'KES', phone: mpesaPhone }, 400, 'amount_must_be_positive'],
    [{ provider: 'mpesa', amount: '1e3', currency: 'KES', phone: mpesaPhone }, 400, 'amount_invalid'],
    [{ provider: 'chapa', amount: '10.00', currency: 'ETB' }, 400, 'payer_required'],
  ])('deposit %j → %i %s', async (payload, status, code) => {
    const user = await api.register();
    const before = await rowCount('payments');
    const response = await post(user, '/v1/deposits', payload);
    expect([response.statusCode, response.json().error?.code]).toEqual([status, code]);
    expect(await rowCount('payments')).toBe(before);
  });

  it('refuses a Stripe withdrawal: Stripe declares no payouts to individuals', async () => {
    const user = await api.registerWithPin({ currency: 'USD', amount: '50.00' });
    const response = await post(user, '/v1/withdrawals', {
      provider: 'stripe',
      amount: '10.00',
      currency: 'USD',
      destination: { bank_code: '001', account_number: '123456789' },
      pin: testPin,
    });
    expect(response.json().error.code).toBe('operation_not_supported');
    expect(response.json().error.message).toMatch(/no payouts/);
    expect(await api.available(user.id, 'USD')).toBe(5_000n);
  });

  it.each([
    [{ destination: { phone: mpesaPhone }, pin: '0000' }, 403, 'pin_incorrect'],
    [{ destination: { phone: mpesaPhone } }, 403, 'pin_required'],
    [{ destination: { bank_code: '01', account_number: '1234' }, pin: testPin }, 400, 'destination_invalid'],
    [{ destination: { phone: mpesaPhone }, pin: testPin, amount: '900.00' }, 402, 'insufficient_funds'],
  ])('withdrawal %j → %i %s, balance untouched', async (extra, status, code) => {
    const user = await api.registerWithPin({ currency: 'KES', amount: '100.00' });
    const before = await rowCount('payments');
    const response = await post(user, '/v1/withdrawals', {
      provider: 'mpesa',
      amount: '50.00',
      currency: 'KES',
      ...extra,
    });
    expect([response.statusCode, response.json().error?.code]).toEqual([status, code]);
    expect(await api.available(user.id, 'KES')).toBe(10_000n);
    expect(await rowCount('payments')).toBe(before);
  });

  it('counts pending deposits against the daily limit, even when they race', async () => {
    const user = await api.register();
    // 6,000 a day: of five parallel 1,500 deposits, exactly four fit.
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        post(user, '/v1/deposits', {
          provider: 'mpesa',
          amount: '1500.00',
          currency: 'KES',
          phone: '+254700000009',
        }),
      ),
    );
    const codes = responses.map((r) => (r.statusCode === 201 ? 'created' : r.json().error.code)).sort();
    expect(codes).toEqual(['created', 'created', 'created', 'created', 'limit_exceeded']);
  });
});

describe('idempotency of money-moving requests', () => {
  it('answers a retried deposit with the same deposit and asks the provider once', async () => {
    const user = await api.register();
    const sent = harness.sandboxes.get('chapa')?.control.sent.length ?? 0;
    const payload = { provider: 'chapa', amount: '30.00', currency: 'ETB', email: 'b@example.com' };
    const [a, b] = [
      await post(user, '/v1/deposits', payload, 'same'),
      await post(user, '/v1/deposits', payload, 'same'),
    ];
    expect(b.json().id).toBe(a.json().id);
    expect(b.headers['idempotent-replayed']).toBe('true');
    await harness.sandboxes.get('chapa')?.control.pay(a.json().next_action, '4242424242424242');
    await final(user, 'deposits', a.json().id);
    expect(await api.available(user.id, 'ETB')).toBe(3_000n);
    expect((harness.sandboxes.get('chapa')?.control.sent.length ?? 0) - sent).toBe(1);
  });

  it('holds a retried withdrawal once', async () => {
    const user = await api.registerWithPin({ currency: 'KES', amount: '500.00' });
    const payload = {
      provider: 'mpesa',
      amount: '100.00',
      currency: 'KES',
      destination: { phone: mpesaPhone },
      pin: testPin,
    };
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => post(user, '/v1/withdrawals', payload, 'wd-same')),
    );
    const ids = new Set(responses.filter((r) => r.statusCode === 201).map((r) => r.json().id));
    expect(ids.size).toBe(1);
    for (const r of responses) expect([201, 409]).toContain(r.statusCode);
    const id = [...ids][0] as string;
    expect((await final(user, 'withdrawals', id)).status).toBe('succeeded');
    expect(await api.available(user.id, 'KES')).toBe(50_000n - 10_000n - 1_100n);
  });
});

describe('approval of large withdrawals', () => {
  it('waits for a finance operator, then pays out; the hold is in place meanwhile', async () => {
    const user = await api.registerWithPin({ currency: 'KES', amount: '5000.00' });
    const created = await post(user, '/v1/withdrawals', {
      provider: 'mpesa',
      amount: '2000.00',
      currency: 'KES',
      destination: { phone: mpesaPhone },
      pin: testPin,
    });
    expect(created.json().status).toBe('requires_approval');
    expect(await api.available(user.id, 'KES')).toBe(500_000n - 200_000n - 3_000n);
    const support = await harness.operator('support');
    const refused = await post(support, `/v1/withdrawals/${created.json().id}/approve`, {});
    expect(refused.statusCode).toBe(403);
    const finance = await harness.operator('finance');
    const approved = await post(finance, `/v1/withdrawals/${created.json().id}/approve`, {
      reason: 'known customer',
    });
    expect(approved.json()).toMatchObject({
      status: 'pending',
      decision: { by: finance.id, reason: 'known customer' },
    });
    const again = await post(finance, `/v1/withdrawals/${created.json().id}/approve`, {});
    expect(again.json().error.code).toBe('withdrawal_not_awaiting_approval');
    expect((await final(user, 'withdrawals', created.json().id)).status).toBe('succeeded');
    const { rows } = await api.database.pool.query(
      `SELECT principal, after FROM audit_log WHERE object = $1`,
      [created.json().id],
    );
    expect(rows.some((r) => r.principal === `user:${finance.id}`)).toBe(true);
  });

  it('refuses an operator approving their own withdrawal (maker-checker)', async () => {
    const finance = await harness.operator('finance');
    await api.app.inject({
      method: 'PUT',
      url: '/v1/me/pin',
      headers: finance.auth,
      payload: { pin: testPin },
    });
    await api.fund(finance.id, 'KES', '5000.00');
    const created = await post(finance, '/v1/withdrawals', {
      provider: 'mpesa',
      amount: '2000.00',
      currency: 'KES',
      destination: { phone: mpesaPhone },
      pin: testPin,
    });
    const self = await post(finance, `/v1/withdrawals/${created.json().id}/approve`, {});
    expect([self.statusCode, self.json().error.code]).toEqual([403, 'approval_by_requester']);
  });

  it('rejection voids the hold and restores the balance', async () => {
    const user = await api.registerWithPin({ currency: 'KES', amount: '5000.00' });
    const created = await post(user, '/v1/withdrawals', {
      provider: 'mpesa',
      amount: '2000.00',
      currency: 'KES',
      destination: { phone: mpesaPhone },
      pin: testPin,
    });
    const finance = await harness.operator('finance');
    const rejected = await post(finance, `/v1/withdrawals/${created.json().id}/reject`, {
      reason: 'suspicious',
    });
    expect(rejected.json().status).toBe('rejected');
    expect(await api.available(user.id, 'KES')).toBe(500_000n);
    expect(await api.services.ledger.verify()).toEqual([]);
  });
});

describe('inbound webhooks', () => {
  it('refuses a forged webhook, records it as a security event, and changes nothing', async () => {
    const forged = JSON.stringify({
      event: 'charge.success',
      tx_ref: 'dep_x',
      amount: '100',
      currency: 'ETB',
      status: 'success',
    });
    const before = await rowCount('webhook_events');
    const response = await fetch(`${harness.baseUrl}/v1/webhooks/chapa`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-chapa-signature': 'a'.repeat(64) },
      body: forged,
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'webhook_signature_invalid',
    );
    const { rows } = await api.database.pool.query(
      `SELECT verified, verification_error FROM webhook_events ORDER BY received_at DESC LIMIT 1`,
    );
    expect(rows[0]).toEqual({ verified: false, verification_error: 'signature_invalid' });
    expect(await rowCount('webhook_events')).toBe(before + 1);
    expect(api.logs.some((l) => l.includes(`"security":true`))).toBe(true);
  });

  it('refuses a signed webhook whose body is not one, records it, and changes nothing', async () => {
    const secret = harness.sandboxes.get('chapa')?.env.CHAPA_WEBHOOK_SECRET as string;
    const body = 'not json at all';
    const before = await rowCount('webhook_events');
    const response = await fetch(`${harness.baseUrl}/v1/webhooks/chapa`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-chapa-signature': createHmac('sha256', secret).update(body).digest('hex'),
      },
      body,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('webhook_malformed');
    const { rows } = await api.database.pool.query(
      `SELECT verified, verification_error FROM webhook_events ORDER BY received_at DESC LIMIT 1`,
    );
    expect(rows[0]).toEqual({ verified: false, verification_error: 'malformed' });
    expect(await rowCount('webhook_events')).toBe(before + 1);
  });

  it('refuses an M-Pesa callback without the URL token, and never logs the token', async () => {
    const user = await api.register();
    const created = await post(user, '/v1/deposits', {
      provider: 'mpesa',
      amount: '100.00',
      currency: 'KES',
      phone: mpesaPhone,
    });
    expect((await final(user, 'deposits', created.json().id)).status).toBe('succeeded');
    const callback = harness.sandboxes.get('mpesa')?.control.sent.at(-1);
    if (!callback) throw new Error('no callback sent');
    const token = new URL(callback.url).pathname.split('/')[4] as string;
    expect(token.length).toBeGreaterThanOrEqual(32);
    const wrong = await fetch(`${harness.baseUrl}/v1/webhooks/mpesa/${'x'.repeat(token.length)}`, {
      method: 'POST',
      headers: callback.headers,
      body: callback.body,
    });
    expect(wrong.status).toBe(401);
    expect(api.logs.join('\n')).not.toContain(token);
  });
});

describe('a provider that changes its mind', () => {
  it('puts a failed deposit the provider later calls paid in needs_review, credits nothing until an operator decides', async () => {
    const user = await api.register();
    const created = await post(user, '/v1/deposits', {
      provider: 'stripe',
      amount: '20.00',
      currency: 'USD',
      email: 'd@example.com',
    });
    const stripe = harness.sandboxes.get('stripe');
    await stripe?.control.pay(created.json().next_action, '4000000000000002');
    expect((await final(user, 'deposits', created.json().id)).status).toBe('failed');
    // Stripe Checkout stays open after a decline: the payer tries another card.
    await stripe?.control.pay(created.json().next_action, '4242424242424242');
    const review = await harness.eventually(async () => {
      const body = (
        await api.app.inject({ method: 'GET', url: `/v1/deposits/${created.json().id}`, headers: user.auth })
      ).json();
      return body.status === 'needs_review' ? body : undefined;
    });
    expect(review.review_reason).toMatch(/success after/);
    expect(await api.available(user.id, 'USD')).toBe(0n);
    const finance = await harness.operator('finance');
    await post(finance, `/v1/operator/payments/${created.json().id}/resolve`, {
      outcome: 'succeeded',
      reason: 'paid with a second card',
    });
    expect(await api.available(user.id, 'USD')).toBe(2_000n);
    expect(await api.services.ledger.verify()).toEqual([]);
  });
});

describe('realtime', () => {
  it('tells the user when a deposit changes status', async () => {
    const user = await api.register();
    const heard: RealtimeEvent[] = [];
    const stop = api.services.events.subscribe(user.id, (e) => heard.push(e));
    try {
      const created = await post(user, '/v1/deposits', {
        provider: 'mpesa',
        amount: '100.00',
        currency: 'KES',
        phone: mpesaPhone,
      });
      await final(user, 'deposits', created.json().id);
      const event = await harness.eventually(async () => heard.find((e) => e.type === 'deposit.updated'));
      expect(event.data).toMatchObject({ id: created.json().id, status: 'succeeded' });
    } finally {
      stop();
    }
  });
});

describe('operator API', () => {
  it('lists payments and webhook events, and resolves a review with a reason', async () => {
    const user = await api.register();
    const created = await post(user, '/v1/deposits', {
      provider: 'chapa',
      amount: '50.00',
      currency: 'ETB',
      email: 'c@example.com',
    });
    await api.database.pool.query(`UPDATE payments SET amount = amount + 1 WHERE id = $1`, [
      created.json().id,
    ]);
    await harness.sandboxes.get('chapa')?.control.pay(created.json().next_action, '4242424242424242');
    expect((await final(user, 'deposits', created.json().id)).status).toBe('needs_review');
    const viewer = await harness.operator('viewer');
    const listed = await api.app.inject({
      method: 'GET',
      url: '/v1/operator/payments?status=needs_review',
      headers: viewer.auth,
    });
    expect(listed.json().data.map((p: { id: string }) => p.id)).toContain(created.json().id);
    const events = await api.app.inject({
      method: 'GET',
      url: '/v1/operator/webhook-events?provider=chapa',
      headers: viewer.auth,
    });
    expect(events.json().data.length).toBeGreaterThan(0);
    const denied = await post(viewer, `/v1/operator/payments/${created.json().id}/resolve`, {
      outcome: 'succeeded',
      reason: 'checked',
    });
    expect(denied.statusCode).toBe(403);
    const finance = await harness.operator('finance');
    const resolved = await post(finance, `/v1/operator/payments/${created.json().id}/resolve`, {
      outcome: 'succeeded',
      reason: 'provider statement shows 50.01',
    });
    expect(resolved.json()).toMatchObject({
      status: 'succeeded',
      decision: { reason: 'provider statement shows 50.01' },
    });
    expect(await api.available(user.id, 'ETB')).toBe(5_001n);
    const twice = await post(finance, `/v1/operator/payments/${created.json().id}/resolve`, {
      outcome: 'failed',
      reason: 'again',
    });
    expect(twice.json().error.code).toBe('review_not_open');
    expect(await api.services.ledger.verify()).toEqual([]);
  });

  it('lists dead jobs and retries one', async () => {
    await api.database.pool.query(
      `SELECT graphile_worker.add_job('payout_send', '{"id":"wd_none"}'::json, max_attempts => 1, run_at => now() + interval '1 hour')`,
    );
    await api.database.pool.query(
      `UPDATE graphile_worker._private_jobs SET attempts = 1, last_error = 'boom' WHERE payload->>'id' = 'wd_none'`,
    );
    const admin = await harness.operator('admin');
    const dead = await api.app.inject({ method: 'GET', url: '/v1/operator/jobs/dead', headers: admin.auth });
    const job = dead.json().data.find((j: { payload: { id: string } }) => j.payload.id === 'wd_none');
    expect(job).toMatchObject({ task: 'payout_send', last_error: 'boom' });
    const retried = await post(admin, `/v1/operator/jobs/${job.id}/retry`, {});
    expect(retried.json()).toEqual({ id: job.id, object: 'job', retried: true });
    const missing = await post(admin, '/v1/operator/jobs/999999999/retry', {});
    expect(missing.json().error.code).toBe('job_not_found');
  });
});
