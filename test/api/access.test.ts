import type { InjectOptions } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { routeTable, type TestApi, type TestUser, testApi } from '../helpers/api.ts';

/**
 * Who may do what to which object, route by route. Each case proves two things: the route refuses a
 * caller without credentials (unless public), and a signed-in user can't read or move another user's
 * money through it. A route without a case here fails the last test: new routes must add one.
 */

let api: TestApi;
let alice: TestUser;
let eve: TestUser;
let aliceTransfer: string;
let aliceHistoryItem: string;
const aliceDeposit = 'dep_alicesdeposit00000000000000';
const aliceWithdrawal = 'wd_aliceswithdrawal000000000000';

beforeAll(async () => {
  api = await testApi();
  alice = await api.register();
  eve = await api.register();
  const bob = await api.register();
  await api.fund(alice.id, 'ETB', '100.00');
  await api.fund(eve.id, 'ETB', '1.00');
  const sent = await api.app.inject({
    method: 'POST',
    url: '/v1/transfers',
    headers: alice.auth,
    payload: { to: bob.id, amount: '10.00', currency: 'ETB' },
  });
  aliceTransfer = sent.json().id;
  aliceHistoryItem = (
    await api.app.inject({ method: 'GET', url: '/v1/transactions', headers: alice.auth })
  ).json().data[0].id;
  // Alice's deposit and withdrawal, as the payments engine would have stored them.
  await api.database.pool.query(
    `INSERT INTO payments (id, kind, provider, mode, status, user_id, account_id, amount, fee, currency,
       requested_by, reconcile_at)
     VALUES ($1, 'deposit', 'mpesa', 'test', 'pending', $3, 'wal_x_KES', 1000, 0, 'KES', $3, now()),
            ($2, 'withdrawal', 'mpesa', 'test', 'requires_approval', $3, 'wal_x_KES', 1000, 0, 'KES', $3, now())`,
    [aliceDeposit, aliceWithdrawal, alice.id],
  );
});

interface Case {
  /** The request as the attacker (Eve) would send it; `headers` get her credentials added. */
  readonly request: () => InjectOptions;
  /** What Eve must get when she aims at Alice's objects (omitted: the route has no foreign object). */
  readonly foreign?: { readonly status: number; readonly check?: (body: unknown) => void };
  readonly public?: true;
}

const operatorOnly = (request: () => InjectOptions): Case => ({
  request,
  // A signed-in end user is not an operator.
  foreign: { status: 403 },
});

const cases: Record<string, Case> = {
  'POST /v1/merchants': operatorOnly(() => ({
    method: 'POST',
    url: '/v1/merchants',
    payload: { name: 'Eve Shop' },
  })),
  'POST /v1/merchants/:id/api_keys': operatorOnly(() => ({
    method: 'POST',
    url: '/v1/merchants/mer_x/api_keys',
    payload: { mode: 'live' },
  })),
  'GET /v1/merchants/:id/api_keys': operatorOnly(() => ({
    method: 'GET',
    url: '/v1/merchants/mer_x/api_keys',
  })),
  'DELETE /v1/merchants/:id/api_keys/:key_id': operatorOnly(() => ({
    method: 'DELETE',
    url: '/v1/merchants/mer_x/api_keys/key_x',
  })),
  // Merchant routes take API keys only: a user's token is refused (no merchant's money is visible).
  'GET /v1/balance': { request: () => ({ method: 'GET', url: '/v1/balance' }), foreign: { status: 401 } },
  'GET /v1/balance/transactions': {
    request: () => ({ method: 'GET', url: '/v1/balance/transactions' }),
    foreign: { status: 401 },
  },
  'POST /v1/users': {
    public: true,
    request: () => ({
      method: 'POST',
      url: '/v1/users',
      payload: { email: 'new@example.com', password: 'a long enough password' },
    }),
  },
  'POST /v1/auth/token': {
    public: true,
    request: () => ({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { login: alice.email, password: 'wrong password!' },
    }),
  },
  'POST /v1/auth/refresh': {
    public: true,
    request: () => ({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: 'rt_x.y' } }),
  },
  'POST /v1/auth/logout': {
    public: true,
    // Logging out needs the refresh token itself; Alice's id alone gives Eve nothing to revoke.
    request: () => ({
      method: 'POST',
      url: '/v1/auth/logout',
      payload: { refresh_token: `${alice.refreshToken.split('.')[0]}.guess` },
    }),
  },
  'GET /v1/me': {
    request: () => ({ method: 'GET', url: '/v1/me' }),
    foreign: { status: 200, check: (body) => expect((body as { id: string }).id).toBe(eve.id) },
  },
  'PUT /v1/me/pin': { request: () => ({ method: 'PUT', url: '/v1/me/pin', payload: { pin: '1357' } }) },
  // A document always goes to the caller's own file: there is no field to name another user.
  'POST /v1/me/kyc': {
    request: () => ({
      method: 'POST',
      url: '/v1/me/kyc',
      payload: { kind: 'passport', level: 'full', file: 'sha256:x', user_id: alice.id },
    }),
    foreign: { status: 400 },
  },
  'GET /v1/me/kyc': {
    request: () => ({ method: 'GET', url: '/v1/me/kyc' }),
    foreign: {
      status: 200,
      check: (body) => expect((body as { documents: unknown[] }).documents).toEqual([]),
    },
  },
  // KYC review (admin, support; test/console/kyc.test.ts checks each role): an end user gets nothing.
  'GET /v1/operator/kyc': operatorOnly(() => ({
    method: 'GET',
    url: `/v1/operator/kyc?user_id=${alice.id}`,
  })),
  'GET /v1/operator/kyc/:id/file': operatorOnly(() => ({
    method: 'GET',
    url: '/v1/operator/kyc/kyc_x/file',
  })),
  'POST /v1/operator/kyc/:id/approve': operatorOnly(() => ({
    method: 'POST',
    url: '/v1/operator/kyc/kyc_x/approve',
    payload: {},
  })),
  'POST /v1/operator/kyc/:id/reject': operatorOnly(() => ({
    method: 'POST',
    url: '/v1/operator/kyc/kyc_x/reject',
    payload: { reason: 'forged' },
  })),
  'GET /v1/transactions': {
    request: () => ({ method: 'GET', url: `/v1/transactions?starting_after=${aliceHistoryItem}` }),
    foreign: { status: 400 },
  },
  'GET /v1/wallets': {
    request: () => ({ method: 'GET', url: '/v1/wallets' }),
    foreign: { status: 200, check: (body) => expect(JSON.stringify(body)).not.toContain(alice.id.slice(4)) },
  },
  'GET /v1/wallets/:currency': {
    request: () => ({ method: 'GET', url: '/v1/wallets/ETB' }),
    foreign: { status: 200, check: (body) => expect((body as { available: string }).available).toBe('1.00') },
  },
  'POST /v1/transfers': {
    // There is no "from" to forge: a transfer always leaves the caller's own wallet.
    request: () => ({
      method: 'POST',
      url: '/v1/transfers',
      payload: { to: alice.id, amount: '50.00', currency: 'ETB', from: alice.id },
    }),
    foreign: { status: 400 },
  },
  'GET /v1/realtime': {
    // Eve's socket only ever hears her own events (test/api/realtime.test.ts checks over real sockets).
    request: () => ({ method: 'GET', url: '/v1/realtime' }),
  },
  'POST /v1/quotes': {
    request: () => ({
      method: 'POST',
      url: '/v1/quotes',
      payload: { provider: 'mpesa', direction: 'deposit', amount: '10.00', currency: 'KES' },
    }),
  },
  'GET /v1/providers': { request: () => ({ method: 'GET', url: '/v1/providers' }) },
  'GET /v1/providers/:provider/banks': {
    request: () => ({ method: 'GET', url: '/v1/providers/chapa/banks?currency=ETB' }),
  },
  'GET /v1/providers/:provider/accounts/resolve': {
    request: () => ({
      method: 'GET',
      url: '/v1/providers/flutterwave/accounts/resolve?currency=NGN&bank_code=044&account_number=0690000031',
    }),
  },
  'POST /v1/deposits': {
    // A deposit always goes to the caller's own wallet: there is no field to name another.
    request: () => ({
      method: 'POST',
      url: '/v1/deposits',
      payload: {
        provider: 'mpesa',
        amount: '10.00',
        currency: 'KES',
        phone: '+254708374149',
        user_id: alice.id,
      },
    }),
    foreign: { status: 400 },
  },
  'GET /v1/deposits/:id': {
    request: () => ({ method: 'GET', url: `/v1/deposits/${aliceDeposit}` }),
    foreign: {
      status: 404,
      check: (body) => expect((body as { error: { code: string } }).error.code).toBe('deposit_not_found'),
    },
  },
  'POST /v1/withdrawals': {
    // A withdrawal always leaves the caller's own wallet.
    request: () => ({
      method: 'POST',
      url: '/v1/withdrawals',
      payload: {
        provider: 'mpesa',
        amount: '10.00',
        currency: 'KES',
        destination: { phone: '+254708374149' },
        from: alice.id,
      },
    }),
    foreign: { status: 400 },
  },
  'GET /v1/withdrawals/:id': {
    request: () => ({ method: 'GET', url: `/v1/withdrawals/${aliceWithdrawal}` }),
    foreign: {
      status: 404,
      check: (body) => expect((body as { error: { code: string } }).error.code).toBe('withdrawal_not_found'),
    },
  },
  'POST /v1/withdrawals/:id/approve': operatorOnly(() => ({
    method: 'POST',
    url: `/v1/withdrawals/${aliceWithdrawal}/approve`,
    payload: {},
  })),
  'POST /v1/withdrawals/:id/reject': operatorOnly(() => ({
    method: 'POST',
    url: `/v1/withdrawals/${aliceWithdrawal}/reject`,
    payload: {},
  })),
  // Merchant payments take API keys only (merchant-to-merchant isolation: test/payments/payments-api.test.ts).
  'POST /v1/payments': {
    request: () => ({
      method: 'POST',
      url: '/v1/payments',
      payload: { provider: 'mpesa', amount: '10.00', currency: 'KES', customer: { phone: '+254708374149' } },
    }),
    foreign: { status: 401 },
  },
  'POST /v1/payments/:id/refund': {
    request: () => ({ method: 'POST', url: `/v1/payments/${aliceDeposit}/refund`, payload: {} }),
    foreign: { status: 401 },
  },
  'POST /v1/payouts': {
    request: () => ({
      method: 'POST',
      url: '/v1/payouts',
      payload: {
        provider: 'mpesa',
        amount: '10.00',
        currency: 'KES',
        destination: { phone: '+254708374149' },
      },
    }),
    foreign: { status: 401 },
  },
  'GET /v1/payouts/:id': {
    request: () => ({ method: 'GET', url: `/v1/payouts/${aliceWithdrawal}` }),
    foreign: { status: 401 },
  },
  'GET /v1/payments': { request: () => ({ method: 'GET', url: '/v1/payments' }), foreign: { status: 401 } },
  'GET /v1/payments/:id': {
    request: () => ({ method: 'GET', url: `/v1/payments/${aliceDeposit}` }),
    foreign: { status: 401 },
  },
  // Webhook endpoints take API keys only (merchant-to-merchant isolation: test/payments/merchant-webhooks.test.ts).
  'POST /v1/webhook_endpoints': {
    request: () => ({
      method: 'POST',
      url: '/v1/webhook_endpoints',
      payload: { url: 'https://example.com/x' },
    }),
    foreign: { status: 401 },
  },
  'GET /v1/webhook_endpoints': {
    request: () => ({ method: 'GET', url: '/v1/webhook_endpoints' }),
    foreign: { status: 401 },
  },
  'DELETE /v1/webhook_endpoints/:id': {
    request: () => ({ method: 'DELETE', url: '/v1/webhook_endpoints/we_x' }),
    foreign: { status: 401 },
  },
  'GET /v1/webhook_endpoints/:id/deliveries': {
    request: () => ({ method: 'GET', url: '/v1/webhook_endpoints/we_x/deliveries' }),
    foreign: { status: 401 },
  },
  'POST /v1/webhook_deliveries/:id/replay': {
    request: () => ({ method: 'POST', url: '/v1/webhook_deliveries/whd_x/replay', payload: {} }),
    foreign: { status: 401 },
  },
  'GET /v1/operator/payments': operatorOnly(() => ({ method: 'GET', url: '/v1/operator/payments' })),
  'POST /v1/operator/payments/:id/resolve': operatorOnly(() => ({
    method: 'POST',
    url: `/v1/operator/payments/${aliceDeposit}/resolve`,
    payload: { outcome: 'succeeded', reason: 'trust me' },
  })),
  'GET /v1/operator/webhook-events': operatorOnly(() => ({
    method: 'GET',
    url: '/v1/operator/webhook-events',
  })),
  'GET /v1/operator/jobs/dead': operatorOnly(() => ({ method: 'GET', url: '/v1/operator/jobs/dead' })),
  'POST /v1/operator/jobs/:id/retry': operatorOnly(() => ({
    method: 'POST',
    url: '/v1/operator/jobs/1/retry',
    payload: {},
  })),
  // The console's users, audit log, merchants, operators and providers (roles: test/console/*.test.ts).
  'GET /v1/operator/users': operatorOnly(() => ({ method: 'GET', url: '/v1/operator/users?q=a' })),
  'GET /v1/operator/users/:id': operatorOnly(() => ({
    method: 'GET',
    url: `/v1/operator/users/${alice.id}`,
  })),
  'GET /v1/operator/users/:id/audit': operatorOnly(() => ({
    method: 'GET',
    url: `/v1/operator/users/${alice.id}/audit`,
  })),
  'POST /v1/operator/users/:id/freeze': operatorOnly(() => ({
    method: 'POST',
    url: `/v1/operator/users/${alice.id}/freeze`,
    payload: { reason: 'eve says so' },
  })),
  'POST /v1/operator/users/:id/unfreeze': operatorOnly(() => ({
    method: 'POST',
    url: `/v1/operator/users/${alice.id}/unfreeze`,
    payload: { reason: 'eve says so' },
  })),
  'GET /v1/operator/audit': operatorOnly(() => ({
    method: 'GET',
    url: `/v1/operator/audit?object=${alice.id}`,
  })),
  'GET /v1/operator/merchants': operatorOnly(() => ({ method: 'GET', url: '/v1/operator/merchants' })),
  'GET /v1/operator/merchants/:id': operatorOnly(() => ({
    method: 'GET',
    url: '/v1/operator/merchants/mer_x',
  })),
  'GET /v1/operator/webhook_endpoints/:id/deliveries': operatorOnly(() => ({
    method: 'GET',
    url: '/v1/operator/webhook_endpoints/we_x/deliveries',
  })),
  'POST /v1/operator/webhook_deliveries/:id/replay': operatorOnly(() => ({
    method: 'POST',
    url: '/v1/operator/webhook_deliveries/whd_x/replay',
    payload: {},
  })),
  'GET /v1/operator/operators': operatorOnly(() => ({ method: 'GET', url: '/v1/operator/operators' })),
  'POST /v1/operator/operators': operatorOnly(() => ({
    method: 'POST',
    url: '/v1/operator/operators',
    payload: { email: 'eve-admin@example.com', role: 'admin' },
  })),
  'POST /v1/operator/operators/:id/role': operatorOnly(() => ({
    method: 'POST',
    url: `/v1/operator/operators/${eve.id}/role`,
    payload: { role: 'admin' },
  })),
  'POST /v1/operator/operators/:id/reset-totp': operatorOnly(() => ({
    method: 'POST',
    url: `/v1/operator/operators/${alice.id}/reset-totp`,
    payload: {},
  })),
  'GET /v1/operator/providers': operatorOnly(() => ({ method: 'GET', url: '/v1/operator/providers' })),
  'PUT /v1/operator/fees': operatorOnly(() => ({
    method: 'PUT',
    url: '/v1/operator/fees',
    payload: { rules: [] },
  })),
  'PUT /v1/operator/limits': operatorOnly(() => ({
    method: 'PUT',
    url: '/v1/operator/limits',
    payload: { rules: [] },
  })),
  // The console: signing in is public (the password and the code are the credentials); the session
  // and its sign-out need the console cookie or an operator token.
  'POST /v1/console/sign-in': {
    public: true,
    request: () => ({
      method: 'POST',
      url: '/v1/console/sign-in',
      payload: { email: alice.email, password: 'wrong password!' },
    }),
  },
  'POST /v1/console/sign-in/totp': {
    public: true,
    request: () => ({
      method: 'POST',
      url: '/v1/console/sign-in/totp',
      payload: { challenge: 'x', code: '1' },
    }),
  },
  'GET /v1/console/session': operatorOnly(() => ({ method: 'GET', url: '/v1/console/session' })),
  'POST /v1/console/sign-out': operatorOnly(() => ({
    method: 'POST',
    url: '/v1/console/sign-out',
    payload: {},
  })),
  'POST /v1/console/sign-out-everywhere': operatorOnly(() => ({
    method: 'POST',
    url: '/v1/console/sign-out-everywhere',
    payload: {},
  })),
  'GET /v1/operator/dashboard': operatorOnly(() => ({ method: 'GET', url: '/v1/operator/dashboard' })),
  'POST /v1/operator/dashboard/refresh': operatorOnly(() => ({
    method: 'POST',
    url: '/v1/operator/dashboard/refresh',
    payload: {},
  })),
  'GET /v1/operator/transactions': operatorOnly(() => ({ method: 'GET', url: '/v1/operator/transactions' })),
  'GET /v1/operator/transactions/export': operatorOnly(() => ({
    method: 'GET',
    url: '/v1/operator/transactions/export?format=csv',
  })),
  'GET /v1/operator/transactions/:id': operatorOnly(() => ({
    method: 'GET',
    url: `/v1/operator/transactions/${aliceTransfer}`,
  })),
  'GET /v1/operator/adjustments': operatorOnly(() => ({ method: 'GET', url: '/v1/operator/adjustments' })),
  'POST /v1/operator/adjustments': operatorOnly(() => ({
    method: 'POST',
    url: '/v1/operator/adjustments',
    payload: { user_id: alice.id, currency: 'ETB', direction: 'debit', amount: '1.00', reason: 'x' },
  })),
  'POST /v1/operator/adjustments/:id/approve': operatorOnly(() => ({
    method: 'POST',
    url: '/v1/operator/adjustments/adj_x/approve',
    payload: {},
  })),
  'POST /v1/operator/adjustments/:id/reject': operatorOnly(() => ({
    method: 'POST',
    url: '/v1/operator/adjustments/adj_x/reject',
    payload: { reason: 'x' },
  })),
  // Webhooks prove themselves by signature (or URL token), not by credentials; a bad one changes nothing.
  'POST /v1/webhooks/:provider': {
    public: true,
    request: () => ({ method: 'POST', url: '/v1/webhooks/mpesa', payload: { forged: true } }),
  },
  'POST /v1/webhooks/:provider/:token': {
    public: true,
    request: () => ({ method: 'POST', url: '/v1/webhooks/mpesa/guess', payload: { forged: true } }),
  },
  // Telegram proves itself with the webhook secret token; off (404) when no secret is configured.
  'POST /v1/channels/telegram/webhook': {
    public: true,
    request: () => ({ method: 'POST', url: '/v1/channels/telegram/webhook', payload: { update_id: 1 } }),
  },
  'GET /v1/transfers/:id': {
    request: () => ({ method: 'GET', url: `/v1/transfers/${aliceTransfer}` }),
    foreign: {
      status: 404,
      check: (body) => expect((body as { error: { code: string } }).error.code).toBe('transfer_not_found'),
    },
  },
};

describe('access control, route by route', () => {
  for (const [name, c] of Object.entries(cases)) {
    if (!c.public) {
      it(`${name} refuses callers without credentials`, async () => {
        const res = await api.app.inject(c.request());
        expect([res.statusCode, res.json().error.code]).toEqual([401, 'unauthenticated']);
      });
    }
    if (c.foreign) {
      const foreign = c.foreign;
      it(`${name} never exposes or moves another user's money`, async () => {
        const request = c.request();
        const res = await api.app.inject({
          ...request,
          headers: { ...(request.headers ?? {}), ...eve.auth },
        });
        expect(res.statusCode).toBe(foreign.status);
        foreign.check?.(res.json());
      });
    }
  }

  it("left Alice's balances as they were", async () => {
    const wallet = await api.app.inject({ method: 'GET', url: '/v1/wallets/ETB', headers: alice.auth });
    expect(wallet.json().available).toBe('90.00');
  });

  it('has a case for every route (add one when you add a route)', async () => {
    const routes = (await routeTable()).map((r) => `${r.method} ${r.url}`);
    expect(routes.filter((r) => !(r in cases))).toEqual([]);
    expect(Object.keys(cases).filter((c) => !routes.includes(c))).toEqual([]);
  });
});
