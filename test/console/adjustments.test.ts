import { beforeAll, describe, expect, it } from 'vitest';
import { walletAccountId } from '../../src/wallets/index.ts';
import { type TestApi, type TestUser, testApi } from '../helpers/api.ts';

let api: TestApi;
let counter = 0;

async function operator(role: 'admin' | 'finance' | 'support' | 'viewer') {
  counter += 1;
  const email = `adj-op${counter}@console.test`;
  const password = 'operator password 1';
  await api.services.users.register({ email, password, role });
  const signin = await api.app.inject({
    method: 'POST',
    url: '/v1/auth/token',
    payload: { login: email, password },
  });
  return { authorization: `Bearer ${signin.json().access_token}` };
}

let maker: { authorization: string };
let checker: { authorization: string };

beforeAll(async () => {
  api = await testApi();
  maker = await operator('finance');
  checker = await operator('admin');
});

const post = (url: string, headers: { authorization: string }, payload: unknown) =>
  api.app.inject({ method: 'POST', url, headers, payload: payload as Record<string, unknown> });

async function balance(user: TestUser, currency: string): Promise<string> {
  const res = await api.app.inject({ method: 'GET', url: `/v1/wallets/${currency}`, headers: user.auth });
  return res.statusCode === 404 ? '0.00' : res.json().available;
}

describe('manual adjustments', () => {
  it('moves nothing until a second operator approves, then posts once', async () => {
    const user = await api.register();
    const requested = await post('/v1/operator/adjustments', maker, {
      user_id: user.id,
      currency: 'KES',
      direction: 'credit',
      amount: '150.25',
      reason: 'Goodwill for a failed deposit',
    });
    expect(requested.statusCode).toBe(201);
    const adj = requested.json();
    expect(adj).toMatchObject({ status: 'pending_approval', amount: '150.25', direction: 'credit' });
    expect(await balance(user, 'KES')).toBe('0.00');

    const own = await post(`/v1/operator/adjustments/${adj.id}/approve`, maker, {});
    expect(own.statusCode).toBe(403);
    expect(own.json().error.code).toBe('approval_by_requester');
    expect(await balance(user, 'KES')).toBe('0.00');

    const approved = await post(`/v1/operator/adjustments/${adj.id}/approve`, checker, { reason: 'checked' });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved', decision_reason: 'checked' });
    expect(await balance(user, 'KES')).toBe('150.25');

    const twice = await post(`/v1/operator/adjustments/${adj.id}/approve`, checker, {});
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.code).toBe('adjustment_not_pending');
    const rejectLate = await post(`/v1/operator/adjustments/${adj.id}/reject`, checker, { reason: 'late' });
    expect(rejectLate.json().error.code).toBe('adjustment_not_pending');
    expect(await balance(user, 'KES')).toBe('150.25');

    // The ledger holds the posted transfer behind it, against the platform's adjustments account.
    const transfer = await api.services.ledger.getTransfer(adj.transfer_id);
    expect(transfer).toMatchObject({
      amount: 15025n,
      code: 'adjustment',
      creditAccountId: walletAccountId(user.id, 'KES'),
    });
    const audit = await api.database.pool.query(
      'SELECT principal, action FROM audit_log WHERE object = $1 ORDER BY id',
      [adj.id],
    );
    expect(audit.rows.map((r) => r.action)).toEqual([
      'POST /v1/operator/adjustments',
      'POST /v1/operator/adjustments/:id/approve',
    ]);
  });

  it('debits only what the wallet holds, and a rejection moves nothing', async () => {
    const user = await api.register();
    await api.fund(user.id, 'ETB', '20.00');
    const big = (
      await post('/v1/operator/adjustments', maker, {
        user_id: user.id,
        currency: 'ETB',
        direction: 'debit',
        amount: '25.00',
        reason: 'Reverse a duplicate credit',
      })
    ).json();
    const refused = await post(`/v1/operator/adjustments/${big.id}/approve`, checker, {});
    expect(refused.statusCode).toBe(402);
    expect(refused.json().error.code).toBe('insufficient_funds');
    expect((await api.services.adjustments.get(big.id)).status).toBe('pending_approval');
    const noReason = await post(`/v1/operator/adjustments/${big.id}/reject`, checker, {});
    expect(noReason.statusCode).toBe(400);
    const rejected = await post(`/v1/operator/adjustments/${big.id}/reject`, checker, { reason: 'Too much' });
    expect(rejected.json()).toMatchObject({ status: 'rejected', decision_reason: 'Too much' });
    expect(await balance(user, 'ETB')).toBe('20.00');

    const fits = (
      await post('/v1/operator/adjustments', maker, {
        user_id: user.id,
        currency: 'ETB',
        direction: 'debit',
        amount: '5.00',
        reason: 'Reverse a duplicate credit',
      })
    ).json();
    expect((await post(`/v1/operator/adjustments/${fits.id}/approve`, checker, {})).statusCode).toBe(200);
    expect(await balance(user, 'ETB')).toBe('15.00');
  });

  it('posts once when two checkers approve at the same moment, many times over', async () => {
    const user = await api.register();
    const other = await operator('finance');
    const adj = (
      await post('/v1/operator/adjustments', maker, {
        user_id: user.id,
        currency: 'USD',
        direction: 'credit',
        amount: '7.00',
        reason: 'Race test',
      })
    ).json();
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        post(`/v1/operator/adjustments/${adj.id}/approve`, i % 2 ? checker : other, {}),
      ),
    );
    expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.statusCode === 409)).toHaveLength(9);
    expect(await balance(user, 'USD')).toBe('7.00');
  });

  it('refuses bad input, unknown ids and roles without the right', async () => {
    const user = await api.register();
    const base = { user_id: user.id, currency: 'KES', direction: 'credit', amount: '1.00', reason: 'x' };
    const cases: [Record<string, unknown>, number, string][] = [
      [{ ...base, amount: '1.001' }, 400, 'amount_too_precise'],
      [{ ...base, amount: '-1' }, 400, 'amount_must_be_positive'],
      [{ ...base, amount: '1e3' }, 400, 'amount_invalid'],
      [{ ...base, amount: 1 }, 400, 'validation_failed'],
      [{ ...base, currency: 'XXX' }, 400, 'validation_failed'],
      [{ ...base, direction: 'sideways' }, 400, 'validation_failed'],
      [{ ...base, reason: '' }, 400, 'validation_failed'],
      [{ ...base, reason: '   ' }, 400, 'validation_failed'],
      [{ ...base, user_id: 'usr_nobody' }, 404, 'user_not_found'],
    ];
    for (const [payload, status, code] of cases) {
      const res = await post('/v1/operator/adjustments', maker, payload);
      expect({ payload, status: res.statusCode, code: res.json().error?.code }).toEqual({
        payload,
        status,
        code,
      });
    }
    expect((await post('/v1/operator/adjustments/adj_nope/approve', checker, {})).statusCode).toBe(404);
    const support = await operator('support');
    expect((await post('/v1/operator/adjustments', support, base)).statusCode).toBe(403);
    expect((await post('/v1/operator/adjustments', user.auth, base)).statusCode).toBe(403);
    const viewer = await operator('viewer');
    const listed = await api.app.inject({
      method: 'GET',
      url: `/v1/operator/adjustments?user_id=${user.id}`,
      headers: viewer,
    });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().data).toEqual([]);
    const badCursor = await api.app.inject({
      method: 'GET',
      url: '/v1/operator/adjustments?starting_after=adj_unknown',
      headers: viewer,
    });
    expect([badCursor.statusCode, badCursor.json().error.param]).toEqual([400, 'starting_after']);
    const { rows } = await api.database.pool.query(
      'SELECT count(*)::int AS n FROM adjustments WHERE user_id = $1',
      [user.id],
    );
    expect(rows[0].n).toBe(0);
  });

  it('replays a retried request with the same Idempotency-Key instead of asking twice', async () => {
    const user = await api.register();
    const payload = {
      user_id: user.id,
      currency: 'KES',
      direction: 'credit',
      amount: '3.00',
      reason: 'retry',
    };
    const headers = { ...maker, 'idempotency-key': `adj-${user.id}` };
    const first = await api.app.inject({ method: 'POST', url: '/v1/operator/adjustments', headers, payload });
    const second = await api.app.inject({
      method: 'POST',
      url: '/v1/operator/adjustments',
      headers,
      payload,
    });
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json().id).toBe(first.json().id);
    const pending = await api.app.inject({
      method: 'GET',
      url: `/v1/operator/adjustments?status=pending_approval&user_id=${user.id}`,
      headers: checker,
    });
    expect(pending.json().data).toHaveLength(1);
  });
});
