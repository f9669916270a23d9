import type { RouteOptions } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/users/index.ts';
import { routeTable, type TestApi, testApi } from '../helpers/api.ts';

/**
 * The role matrix of docs/console.md, route by route: every operator route (console cookie or
 * operator bearer token) with exactly the roles that may use it. Each role is tried on each route
 * both ways: a role outside the list must get 403 `forbidden`; a role inside must get past the role
 * check (any other answer: a 400 for the empty body, a 404 for the made-up id, or success). A new
 * operator route without a row here fails the first test.
 */
type OperatorRole = 'admin' | 'finance' | 'support' | 'viewer';
const all: readonly OperatorRole[] = ['admin', 'finance', 'support', 'viewer'];
const finance: readonly OperatorRole[] = ['admin', 'finance'];
const support: readonly OperatorRole[] = ['admin', 'support'];
const adminOnly: readonly OperatorRole[] = ['admin'];
const notViewer: readonly OperatorRole[] = ['admin', 'finance', 'support'];

const matrix: Record<string, readonly OperatorRole[]> = {
  // The session itself.
  'GET /v1/console/session': all,
  'POST /v1/console/sign-out': all,
  'POST /v1/console/sign-out-everywhere': all,
  // Dashboard and reports.
  'GET /v1/operator/dashboard': all,
  'POST /v1/operator/dashboard/refresh': all,
  'GET /v1/operator/transactions': all,
  'GET /v1/operator/transactions/:id': all,
  'GET /v1/operator/transactions/export': notViewer,
  // Payments, approvals, reviews, jobs.
  'GET /v1/operator/payments': all,
  'POST /v1/operator/payments/:id/resolve': finance,
  'POST /v1/withdrawals/:id/approve': finance,
  'POST /v1/withdrawals/:id/reject': finance,
  'GET /v1/operator/webhook-events': all,
  'GET /v1/operator/jobs/dead': all,
  'POST /v1/operator/jobs/:id/retry': finance,
  // Adjustments.
  'GET /v1/operator/adjustments': all,
  'POST /v1/operator/adjustments': finance,
  'POST /v1/operator/adjustments/:id/approve': finance,
  'POST /v1/operator/adjustments/:id/reject': finance,
  // Users.
  'GET /v1/operator/users': all,
  'GET /v1/operator/users/:id': all,
  'GET /v1/operator/users/:id/audit': all,
  'POST /v1/operator/users/:id/freeze': support,
  'POST /v1/operator/users/:id/unfreeze': support,
  // KYC documents are personal data: only those who review them see them.
  'GET /v1/operator/kyc': support,
  'GET /v1/operator/kyc/:id/file': support,
  'POST /v1/operator/kyc/:id/approve': support,
  'POST /v1/operator/kyc/:id/reject': support,
  // Providers, fees, limits.
  'GET /v1/operator/providers': all,
  'PUT /v1/operator/fees': finance,
  'PUT /v1/operator/limits': finance,
  // Merchants.
  'POST /v1/merchants': adminOnly,
  'GET /v1/merchants/:id/api_keys': adminOnly,
  'POST /v1/merchants/:id/api_keys': adminOnly,
  'DELETE /v1/merchants/:id/api_keys/:key_id': adminOnly,
  'GET /v1/operator/merchants': all,
  'GET /v1/operator/merchants/:id': all,
  'GET /v1/operator/webhook_endpoints/:id/deliveries': all,
  'POST /v1/operator/webhook_deliveries/:id/replay': adminOnly,
  // The audit log and the operators themselves.
  'GET /v1/operator/audit': all,
  'GET /v1/operator/operators': adminOnly,
  'POST /v1/operator/operators': adminOnly,
  'POST /v1/operator/operators/:id/role': adminOnly,
  'POST /v1/operator/operators/:id/reset-totp': adminOnly,
};

let api: TestApi;
let operatorRoutes: RouteOptions[];
const bearer = new Map<OperatorRole, Record<string, string>>();
const cookie = new Map<OperatorRole, Record<string, string>>();

const keyOf = (route: RouteOptions) => `${route.method} ${route.url}`;

async function signedIn(role: OperatorRole) {
  const email = `roles-${role}@console.test`;
  const password = 'operator password 1';
  await api.services.users.register({ email, password, role });
  const token = await api.app.inject({
    method: 'POST',
    url: '/v1/auth/token',
    payload: { login: email, password },
  });
  bearer.set(role, { authorization: `Bearer ${token.json().access_token}` });
  const step = (
    await api.app.inject({ method: 'POST', url: '/v1/console/sign-in', payload: { email, password } })
  ).json();
  const done = await api.app.inject({
    method: 'POST',
    url: '/v1/console/sign-in/totp',
    payload: { challenge: step.challenge, code: totpCode(step.secret) },
  });
  const value = done.cookies.find((c) => c.name === 'chatpay_console')?.value;
  cookie.set(role, { cookie: `chatpay_console=${value}`, 'x-csrf-token': done.json().csrf_token });
}

beforeAll(async () => {
  api = await testApi();
  operatorRoutes = (await routeTable()).filter(
    (r) => (r.config as { access?: string })?.access === 'operator',
  );
  for (const role of all) await signedIn(role);
});

// Sign-out routes end the session they are called with: try them last, on throwaway sessions.
const endsSession = (key: string) => key.startsWith('POST /v1/console/sign-out');

async function tryRoute(route: RouteOptions, headers: Record<string, string>) {
  const url = route.url.replace(/:([a-z_]+)/g, (_m, name) => `unknown_${name}`);
  const method = route.method as 'GET' | 'POST' | 'PUT' | 'DELETE';
  const withBody = method === 'POST' || method === 'PUT';
  return api.app.inject({ method, url, headers, ...(withBody ? { payload: {} } : {}) });
}

describe('console roles', () => {
  it('has a row for every operator route, and no row for a route that is gone', () => {
    const served = operatorRoutes.map(keyOf).sort();
    expect(served).toEqual(Object.keys(matrix).sort());
  });

  for (const via of ['bearer token', 'console cookie'] as const) {
    it(`lets each role do exactly what the matrix says (${via})`, async () => {
      const outcomes: string[] = [];
      const expected: string[] = [];
      for (const route of operatorRoutes) {
        const key = keyOf(route);
        if (via === 'console cookie' && endsSession(key)) continue;
        for (const role of all) {
          const headers = (via === 'bearer token' ? bearer : cookie).get(role) ?? {};
          const res = await tryRoute(route, headers);
          const code = res.statusCode === 403 ? res.json().error?.code : undefined;
          outcomes.push(`${key} ${role}: ${code === 'forbidden' ? 'refused' : 'allowed'}`);
          expected.push(`${key} ${role}: ${matrix[key]?.includes(role) ? 'allowed' : 'refused'}`);
        }
      }
      expect(outcomes).toEqual(expected);
    });
  }

  it('refuses every operator route without credentials, and to end users', async () => {
    const user = await api.register();
    for (const route of operatorRoutes) {
      const anonymous = await tryRoute(route, {});
      expect([keyOf(route), anonymous.statusCode]).toEqual([keyOf(route), 401]);
      const customer = await tryRoute(route, user.auth);
      expect([keyOf(route), customer.statusCode]).toEqual([keyOf(route), 403]);
    }
  });
});
