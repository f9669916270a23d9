import { beforeAll, describe, expect, it } from 'vitest';
import { merchantAccountId } from '../../src/merchants/index.ts';
import { newId } from '../../src/shared/ids.ts';
import { type TestApi, type TestUser, testApi } from '../helpers/api.ts';

let api: TestApi;
let admin: TestUser;
let finance: TestUser;

async function operator(role: 'admin' | 'finance'): Promise<TestUser> {
  const email = `${role}-${newId('op')}@example.com`;
  await api.services.users.register({ email, password: 'operator password 1', role });
  const signin = await api.app.inject({
    method: 'POST',
    url: '/v1/auth/token',
    payload: { login: email, password: 'operator password 1' },
  });
  const { access_token, refresh_token } = signin.json();
  return {
    id: '',
    email,
    password: '',
    token: access_token,
    refreshToken: refresh_token,
    auth: { authorization: `Bearer ${access_token}` },
  };
}

beforeAll(async () => {
  api = await testApi();
  admin = await operator('admin');
  finance = await operator('finance');
});

async function merchantWithKey(mode: 'test' | 'live' = 'test') {
  const merchant = (
    await api.app.inject({
      method: 'POST',
      url: '/v1/merchants',
      headers: admin.auth,
      payload: { name: 'Addis Coffee' },
    })
  ).json();
  const key = (
    await api.app.inject({
      method: 'POST',
      url: `/v1/merchants/${merchant.id}/api_keys`,
      headers: admin.auth,
      payload: { mode },
    })
  ).json();
  return { merchant, key, auth: { authorization: `Bearer ${key.secret}` } };
}

async function credit(merchantId: string, mode: 'test' | 'live', currency: string, amount: bigint) {
  const account = merchantAccountId(merchantId, mode, currency);
  const source = `src-${newId('x')}`;
  await api.services.ledger.createAccounts([
    { id: account, currency, kind: 'merchant', ownerId: merchantId },
    { id: source, currency, kind: 'suspense' },
  ]);
  const [r] = await api.services.ledger.createTransfers([
    { id: newId('txf'), debitAccountId: source, creditAccountId: account, amount, currency, code: 'payment' },
  ]);
  expect(r?.result).toBe('ok');
}

describe('operators and merchants', () => {
  it('lets an admin create merchants, and nobody else', async () => {
    const user = await api.register();
    for (const [who, headers, status] of [
      ['admin', admin.auth, 201],
      ['finance operator', finance.auth, 403],
      ['end user', user.auth, 403],
      ['nobody', {}, 401],
    ] as const) {
      const res = await api.app.inject({
        method: 'POST',
        url: '/v1/merchants',
        headers,
        payload: { name: 'Shop' },
      });
      expect([who, res.statusCode]).toEqual([who, status]);
    }
  });

  it('shows an API key once, stores only its hash, and lists it without the secret', async () => {
    const { merchant, key } = await merchantWithKey();
    expect(key.secret).toMatch(/^sk_test_[A-Za-z0-9_-]{43}$/);
    expect(key.last4).toBe(key.secret.slice(-4));
    const { rows } = await api.services.pool.query('SELECT key_hash FROM api_keys WHERE id = $1', [key.id]);
    expect(rows[0].key_hash).not.toContain(key.secret);
    const listed = (
      await api.app.inject({
        method: 'GET',
        url: `/v1/merchants/${merchant.id}/api_keys`,
        headers: admin.auth,
      })
    ).json();
    expect(listed.data).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain(key.secret);
    expect(listed.data[0].secret).toBeUndefined();
  });

  it('authenticates a merchant by key, records last use, and stops at revocation', async () => {
    const { merchant, key, auth } = await merchantWithKey();
    await credit(merchant.id, 'test', 'KES', 12_345n);
    const balance = await api.app.inject({ method: 'GET', url: '/v1/balance', headers: auth });
    expect(balance.statusCode).toBe(200);
    expect(
      balance.json().data.map((b: { currency: string; available: string }) => [b.currency, b.available]),
    ).toEqual([['KES', '123.45']]);
    const history = (
      await api.app.inject({ method: 'GET', url: '/v1/balance/transactions', headers: auth })
    ).json();
    expect(history.data.map((t: { amount: string; direction: string }) => [t.amount, t.direction])).toEqual([
      ['123.45', 'in'],
    ]);
    const listed = (
      await api.app.inject({
        method: 'GET',
        url: `/v1/merchants/${merchant.id}/api_keys`,
        headers: admin.auth,
      })
    ).json();
    expect(listed.data[0].last_used_at).not.toBeNull();
    const revoked = await api.app.inject({
      method: 'DELETE',
      url: `/v1/merchants/${merchant.id}/api_keys/${key.id}`,
      headers: admin.auth,
    });
    expect(revoked.json().revoked_at).not.toBeNull();
    const after = await api.app.inject({ method: 'GET', url: '/v1/balance', headers: auth });
    expect([after.statusCode, after.json().error.code]).toEqual([401, 'unauthenticated']);
  });

  it('keeps test-mode and live-mode money apart, and merchants apart', async () => {
    const test = await merchantWithKey('test');
    const liveKey = (
      await api.app.inject({
        method: 'POST',
        url: `/v1/merchants/${test.merchant.id}/api_keys`,
        headers: admin.auth,
        payload: { mode: 'live' },
      })
    ).json();
    const other = await merchantWithKey('test');
    await credit(test.merchant.id, 'test', 'USD', 500n);
    const live = (
      await api.app.inject({
        method: 'GET',
        url: '/v1/balance',
        headers: { authorization: `Bearer ${liveKey.secret}` },
      })
    ).json();
    expect(live.data).toEqual([]);
    const theirs = (await api.app.inject({ method: 'GET', url: '/v1/balance', headers: other.auth })).json();
    expect(theirs.data).toEqual([]);
  });

  it.each([
    ['a user token on a merchant route', () => ({ url: '/v1/balance', token: 'USER' })],
    ['a merchant key on a user route', () => ({ url: '/v1/wallets', token: 'KEY' })],
    ['a merchant key on an operator route', () => ({ url: '/v1/merchants/x/api_keys', token: 'KEY' })],
    ['a made-up key', () => ({ url: '/v1/balance', token: `sk_test_${'a'.repeat(43)}` })],
    ['a malformed key', () => ({ url: '/v1/balance', token: 'sk_test_short' })],
  ])('refuses %s', async (_, make) => {
    const user = await api.register();
    const { key } = await merchantWithKey();
    const { url, token } = make();
    const value = token === 'USER' ? user.token : token === 'KEY' ? key.secret : token;
    const res = await api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${value}` } });
    expect([401, 403]).toContain(res.statusCode);
  });

  it.each([
    ['POST', '/v1/merchants', { name: '' }],
    ['POST', '/v1/merchants', { name: 'x'.repeat(201) }],
    ['POST', '/v1/merchants', { name: 'Shop', owner: 'me' }],
    ['POST', '/v1/merchants/MID/api_keys', { mode: 'prod' }],
    ['POST', '/v1/merchants/MID/api_keys', {}],
  ] as const)('validates %s %s %j', async (method, url, payload) => {
    const { merchant } = await merchantWithKey();
    const res = await api.app.inject({
      method,
      url: url.replace('MID', merchant.id),
      headers: admin.auth,
      payload,
    });
    expect([res.statusCode, res.json().error.code]).toEqual([400, 'validation_failed']);
  });

  it('validates the merchant history query', async () => {
    const { auth } = await merchantWithKey();
    for (const query of ['limit=0', 'limit=500', 'starting_after=txf_unknown']) {
      const res = await api.app.inject({
        method: 'GET',
        url: `/v1/balance/transactions?${query}`,
        headers: auth,
      });
      expect([query, res.statusCode]).toEqual([query, 400]);
    }
  });

  it("refuses keys of an unknown merchant, and another merchant's key ids", async () => {
    const a = await merchantWithKey();
    const b = await merchantWithKey();
    const missing = await api.app.inject({
      method: 'POST',
      url: '/v1/merchants/mer_nope/api_keys',
      headers: admin.auth,
      payload: { mode: 'test' },
    });
    expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'merchant_not_found']);
    const crossed = await api.app.inject({
      method: 'DELETE',
      url: `/v1/merchants/${a.merchant.id}/api_keys/${b.key.id}`,
      headers: admin.auth,
    });
    expect([crossed.statusCode, crossed.json().error.code]).toEqual([404, 'api_key_not_found']);
    expect((await api.app.inject({ method: 'GET', url: '/v1/balance', headers: b.auth })).statusCode).toBe(
      200,
    );
  });
});
