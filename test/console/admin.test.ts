/**
 * The console's admin side: merchants (keys, endpoints, delivery logs, replay), operators (create,
 * change role with the last-admin guard, reset TOTP), providers, and editing fees and limits — which
 * must apply at once here, within seconds in another process, and after a restart.
 */
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { FeeSchedule, Limits, parseFeeSchedule } from '../../src/payments/index.ts';
import { EditableRules } from '../../src/payments/settings.ts';
import { newId } from '../../src/shared/ids.ts';
import { type TestApi, type TestUser, testApi } from '../helpers/api.ts';
import { paymentsHarness } from '../helpers/payments.ts';

const envFees = [{ provider: 'mpesa', currency: 'KES', direction: 'deposit', percent: '1' }];
const envLimits = [{ currency: 'KES', direction: 'deposit', per_transaction_max: '5000' }];
const harness = await paymentsHarness({
  providers: ['mpesa', 'chapa'],
  worker: false,
  feesJson: JSON.stringify(envFees),
  limitsJson: JSON.stringify(envLimits),
  approvalAbove: 'KES=1000,ETB=1000000',
});
const { api } = harness;
let keys = 0;

let admin: TestUser;
let finance: TestUser;
let support: TestUser;
let viewer: TestUser;

beforeAll(async () => {
  [admin, finance, support, viewer] = await Promise.all([
    harness.operator('admin'),
    harness.operator('finance'),
    harness.operator('support'),
    harness.operator('viewer'),
  ]);
});

function call(
  on: TestApi,
  who: TestUser | undefined,
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  body?: unknown,
) {
  return on.app.inject({
    method,
    url,
    headers: { ...(who?.auth ?? {}), ...(method === 'GET' ? {} : { 'idempotency-key': `k-${keys++}` }) },
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });
}
const get = (who: TestUser, url: string) => call(api, who, 'GET', url);
const post = (who: TestUser, url: string, body: unknown = {}) => call(api, who, 'POST', url, body);
const put = (who: TestUser, url: string, body: unknown) => call(api, who, 'PUT', url, body);

const codeOf = (res: { statusCode: number; json(): { error?: { code: string } } }) => [
  res.statusCode,
  res.json().error?.code,
];

async function signIn(on: TestApi, email: string, password: string): Promise<TestUser> {
  const res = await on.app.inject({
    method: 'POST',
    url: '/v1/auth/token',
    payload: { login: email, password },
  });
  expect(res.statusCode).toBe(200);
  const { access_token, refresh_token } = res.json();
  const user = await on.database.pool.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email]);
  return {
    id: user.rows[0]?.id as string,
    email,
    password,
    token: access_token,
    refreshToken: refresh_token,
    auth: { authorization: `Bearer ${access_token}` },
  };
}

async function auditOf(object: string) {
  const { rows } = await api.database.pool.query<{ action: string; before: unknown; after: unknown }>(
    'SELECT action, before, after FROM audit_log WHERE object = $1 ORDER BY id',
    [object],
  );
  return rows;
}

describe('merchants', () => {
  let merchantId: string;
  let secret: string;
  let endpointId: string;
  const deliveryId = `whd_${newId('x').slice(2)}`;

  beforeAll(async () => {
    merchantId = (await post(admin, '/v1/merchants', { name: 'Kiosk' })).json().id;
    secret = (await post(admin, `/v1/merchants/${merchantId}/api_keys`, { mode: 'test' })).json().secret;
    const endpoint = await api.app.inject({
      method: 'POST',
      url: '/v1/webhook_endpoints',
      headers: { authorization: `Bearer ${secret}` },
      payload: { url: 'http://127.0.0.1:1/hooks' },
    });
    endpointId = endpoint.json().id;
    // A delivery that failed for good, as the worker would have left it.
    await api.database.pool.query(
      `INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, payload, status, attempts, last_error)
       VALUES ($1, $2, 'evt_1', 'payment.succeeded', '{}', 'failed', 20, 'could not connect')`,
      [deliveryId, endpointId],
    );
  });

  it('lists merchants for every operator role', async () => {
    for (const who of [admin, finance, support, viewer]) {
      const res = await get(who, '/v1/operator/merchants');
      expect([res.statusCode, res.json().data[0].id]).toEqual([200, merchantId]);
    }
  });

  it('shows a merchant with its keys and endpoints, never a secret', async () => {
    const res = await get(viewer, `/v1/operator/merchants/${merchantId}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: merchantId,
      name: 'Kiosk',
      api_keys: [{ object: 'api_key', mode: 'test', last4: secret.slice(-4), revoked_at: null }],
      webhook_endpoints: [
        { id: endpointId, url: 'http://127.0.0.1:1/hooks', mode: 'test', disabled_at: null },
      ],
    });
    expect(res.body).not.toContain(secret);
    expect(res.body).not.toContain('whsec_');
    expect(res.body).not.toContain('"secret"');
    expect(codeOf(await get(viewer, '/v1/operator/merchants/mer_nope'))).toEqual([404, 'merchant_not_found']);
  });

  it("reads any endpoint's delivery log", async () => {
    const res = await get(support, `/v1/operator/webhook_endpoints/${endpointId}/deliveries`);
    expect(res.json().data).toMatchObject([{ id: deliveryId, status: 'failed', attempts: 20 }]);
    const unknown = await get(support, '/v1/operator/webhook_endpoints/we_nope/deliveries');
    expect(codeOf(unknown)).toEqual([404, 'webhook_endpoint_not_found']);
  });

  it('replays a delivery for admins only, audited', async () => {
    const url = `/v1/operator/webhook_deliveries/${deliveryId}/replay`;
    expect(codeOf(await post(finance, url))).toEqual([403, 'forbidden']);
    expect(codeOf(await post(viewer, url))).toEqual([403, 'forbidden']);
    const res = await post(admin, url);
    expect(res.json()).toMatchObject({ id: deliveryId, status: 'pending', attempts: 0 });
    const jobs = await api.database.pool.query(
      `SELECT 1 FROM graphile_worker.jobs WHERE task_identifier = 'merchant_webhook_deliver' AND key LIKE $1`,
      [`whd:${deliveryId}:%`],
    );
    expect(jobs.rows.length).toBe(1);
    expect(await auditOf(deliveryId)).toMatchObject([
      { action: 'POST /v1/operator/webhook_deliveries/:id/replay' },
    ]);
    const unknown = await post(admin, '/v1/operator/webhook_deliveries/whd_nope/replay');
    expect(codeOf(unknown)).toEqual([404, 'webhook_delivery_not_found']);
  });
});

describe('operators', () => {
  it('are listed and created by admins only, with a one-time password that works', async () => {
    for (const who of [finance, support, viewer]) {
      expect(codeOf(await get(who, '/v1/operator/operators'))).toEqual([403, 'forbidden']);
      const created = await post(who, '/v1/operator/operators', { email: 'x@example.com', role: 'viewer' });
      expect(codeOf(created)).toEqual([403, 'forbidden']);
    }
    const email = `new-op-${keys}@example.com`;
    const res = await post(admin, '/v1/operator/operators', { email, role: 'support' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ object: 'operator', email, role: 'support', totp_enrolled: false });
    const password = res.json().password as string;
    expect(password.length).toBeGreaterThanOrEqual(20);
    const newcomer = await signIn(api, email, password);
    expect((await get(newcomer, '/v1/operator/users')).statusCode).toBe(200);
    // The password is nowhere but in that answer: not in the audit log, not kept for replay.
    expect(JSON.stringify(await auditOf(res.json().id))).not.toContain(password);
    const kept = await api.database.pool.query(
      'SELECT 1 FROM idempotency_keys WHERE response_body::text LIKE $1',
      [`%${password}%`],
    );
    expect(kept.rows).toEqual([]);
    const list = await get(admin, '/v1/operator/operators?limit=100');
    expect(list.json().data.map((o: { id: string }) => o.id)).toContain(res.json().id);
    expect(list.json().data.every((o: { role: string }) => o.role !== 'user')).toBe(true);
    expect(codeOf(await post(admin, '/v1/operator/operators', { email, role: 'viewer' }))).toEqual([
      409,
      'user_exists',
    ]);
    expect(
      codeOf(await post(admin, '/v1/operator/operators', { email: 'y@example.com', role: 'user' })),
    ).toEqual([400, 'validation_failed']);
  });

  it('change role, audited, but never their own', async () => {
    const target = await harness.operator('support');
    const res = await post(admin, `/v1/operator/operators/${target.id}/role`, { role: 'finance' });
    expect(res.json()).toMatchObject({ id: target.id, role: 'finance' });
    expect(await auditOf(target.id)).toMatchObject([
      {
        action: 'POST /v1/operator/operators/:id/role',
        before: { role: 'support' },
        after: { role: 'finance' },
      },
    ]);
    await harness.operator('admin'); // so that demoting oneself would not leave the platform without one
    const self = await post(admin, `/v1/operator/operators/${admin.id}/role`, { role: 'viewer' });
    expect(codeOf(self)).toEqual([403, 'operator_self_action']);
    expect(
      codeOf(await post(finance, `/v1/operator/operators/${target.id}/role`, { role: 'admin' })),
    ).toEqual([403, 'forbidden']);
    const person = await api.register();
    const notOperator = await post(admin, `/v1/operator/operators/${person.id}/role`, { role: 'admin' });
    expect(codeOf(notOperator)).toEqual([404, 'operator_not_found']);
  });

  it('apply a role change to bearer tokens at their next call, not when they expire', async () => {
    const target = await harness.operator('admin');
    const adminOnly = () => get(target, '/v1/operator/operators?limit=1');
    expect((await adminOnly()).statusCode).toBe(200);
    await post(admin, `/v1/operator/operators/${target.id}/role`, { role: 'viewer' });
    // The same token, still unexpired, now acts as a viewer: refused the admin route, allowed the rest.
    expect(codeOf(await adminOnly())).toEqual([403, 'forbidden']);
    expect((await get(target, '/v1/operator/merchants?limit=1')).statusCode).toBe(200);
    await post(admin, `/v1/operator/operators/${target.id}/role`, { role: 'admin' });
    expect((await adminOnly()).statusCode).toBe(200);
  });

  it('reset TOTP so the operator enrols again (not their own)', async () => {
    const target = await harness.operator('viewer');
    await api.database.pool.query(`UPDATE users SET totp_secret = 'JBSWY3DPEHPK3PXP' WHERE id = $1`, [
      target.id,
    ]);
    const before = await get(admin, '/v1/operator/operators?limit=100');
    const listed = before.json().data.find((o: { id: string }) => o.id === target.id);
    expect(listed.totp_enrolled).toBe(true);
    const res = await post(admin, `/v1/operator/operators/${target.id}/reset-totp`);
    expect(res.json()).toMatchObject({ id: target.id, totp_enrolled: false });
    const { rows } = await api.database.pool.query('SELECT totp_secret FROM users WHERE id = $1', [
      target.id,
    ]);
    expect(rows[0].totp_secret).toBeNull();
    const self = await post(admin, `/v1/operator/operators/${admin.id}/reset-totp`);
    expect(codeOf(self)).toEqual([403, 'operator_self_action']);
    const unknown = await post(admin, '/v1/operator/operators/usr_nope/reset-totp');
    expect(codeOf(unknown)).toEqual([404, 'operator_not_found']);
  });

  it('keep at least one admin, even when two admins demote each other at once', async () => {
    const own = await testApi(); // a database whose only admins are the ones made here
    const make = async (role: 'admin') => {
      const email = `solo-${keys++}@example.com`;
      await own.services.users.register({ email, password: 'operator password 1', role });
      return signIn(own, email, 'operator password 1');
    };
    const [first, second] = [await make('admin'), await make('admin')];
    const [a, b] = await Promise.all([
      call(own, first, 'POST', `/v1/operator/operators/${second.id}/role`, { role: 'viewer' }),
      call(own, second, 'POST', `/v1/operator/operators/${first.id}/role`, { role: 'viewer' }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 403]);
    const admins = await own.database.pool.query(`SELECT id FROM users WHERE role = 'admin'`);
    expect(admins.rows.length).toBe(1);
    const survivor = a.statusCode === 200 ? first : second;
    const last = await call(own, survivor, 'POST', `/v1/operator/operators/${survivor.id}/role`, {
      role: 'finance',
    });
    expect(codeOf(last)).toEqual([409, 'last_admin']);
  });
});

describe('providers, fees and limits', () => {
  let payer: TestUser;
  const quote = (on: TestApi = api) =>
    call(on, payer, 'POST', '/v1/quotes', {
      provider: 'mpesa',
      direction: 'deposit',
      amount: '1000.00',
      currency: 'KES',
    });

  beforeAll(async () => {
    payer = await api.register();
  });

  it("shows every provider's status with the rules in force, to every role", async () => {
    const deposit = await post(payer, '/v1/deposits', {
      provider: 'mpesa',
      amount: '100.00',
      currency: 'KES',
      phone: '+254708374149',
    });
    expect(deposit.statusCode).toBe(201);
    for (const who of [admin, finance, support, viewer]) {
      expect((await get(who, '/v1/operator/providers')).statusCode).toBe(200);
    }
    const res = (await get(viewer, '/v1/operator/providers')).json();
    const byId = Object.fromEntries(res.data.map((p: { id: string }) => [p.id, p]));
    expect(byId.mpesa).toMatchObject({
      enabled: true,
      mode: 'sandbox',
      circuit: 'closed',
      last_failure_at: null,
    });
    expect(byId.mpesa.currencies).toContain('KES');
    expect(byId.mpesa.last_success_at).not.toBeNull();
    expect(byId.chapa).toMatchObject({ enabled: true, last_success_at: null });
    expect(byId.stripe).toMatchObject({ enabled: false, currencies: [] });
    expect([res.fees, res.limits]).toEqual([envFees, envLimits]);
    expect(codeOf(await get(payer, '/v1/operator/providers'))).toEqual([403, 'forbidden']);
  });

  it('edits the fee schedule (admin, finance): the next quote charges the new fee', async () => {
    expect((await quote()).json().fee).toBe('10.00');
    const rules = [{ provider: 'mpesa', currency: 'KES', direction: 'deposit', percent: '2', fixed: '5' }];
    for (const who of [support, viewer])
      expect(codeOf(await put(who, '/v1/operator/fees', { rules }))).toEqual([403, 'forbidden']);
    const res = await put(finance, '/v1/operator/fees', { rules });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ rules, source: 'settings', updated_by: finance.id });
    expect((await quote()).json().fee).toBe('25.00');
    expect((await get(viewer, '/v1/operator/providers')).json().fees).toEqual(rules);
    expect(await auditOf('setting_payment_fees')).toMatchObject([
      { action: 'PUT /v1/operator/fees', before: envFees, after: rules },
    ]);
  });

  it.each([
    [{ rules: [{ provider: 'mpesa', currency: 'KES', direction: 'sideways' }] }, 'rule 0'],
    [
      {
        rules: [
          { provider: 'mpesa', currency: 'KES', direction: 'deposit' },
          { provider: 'mpesa', currency: '*', direction: 'deposit', fixed: '1' },
        ],
      },
      'rule 1',
    ],
    [{ rules: [{ provider: 'mpesa', currency: 'KES', direction: 'deposit', fixed: '1.234' }] }, 'rule 0'],
    [
      { rules: [{ provider: 'mpesa', currency: 'KES', direction: 'deposit', percent: '2', extra: 1 }] },
      'rule 0',
    ],
    [{ rules: 'not a list' }, ''],
    [{ rules: [], more: true }, ''],
  ])('refuses bad fee rules with validation_failed naming the rule: %j', async (body, rule) => {
    const before = (await get(viewer, '/v1/operator/providers')).json().fees;
    const res = await put(admin, '/v1/operator/fees', body);
    expect(codeOf(res)).toEqual([400, 'validation_failed']);
    expect(res.json().error.message).toContain(rule);
    expect((await get(viewer, '/v1/operator/providers')).json().fees).toEqual(before);
  });

  it('edits limits the same way', async () => {
    const bad = await put(admin, '/v1/operator/limits', {
      rules: [{ currency: 'KES', direction: 'deposit', per_day_max: '-5' }],
    });
    expect(codeOf(bad)).toEqual([400, 'validation_failed']);
    expect(bad.json().error.message).toContain('rule 0');
    const rules = [{ currency: 'KES', direction: 'deposit', per_transaction_max: '500' }];
    expect((await put(admin, '/v1/operator/limits', { rules })).statusCode).toBe(200);
    expect(codeOf(await quote())).toEqual([400, 'limit_exceeded']);
    expect((await put(admin, '/v1/operator/limits', { rules: envLimits })).statusCode).toBe(200);
    expect((await quote()).statusCode).toBe(200);
  });

  it('reaches another API process within seconds, and survives a restart', async () => {
    const other = await testApi({ database: api.database, payments: { gateway: harness.gateway } });
    other.services.payments.rules.watch(100);
    try {
      const otherPayer = await other.register();
      const quoteThere = () =>
        call(other, otherPayer, 'POST', '/v1/quotes', {
          provider: 'mpesa',
          direction: 'deposit',
          amount: '1000.00',
          currency: 'KES',
        });
      expect((await quoteThere()).json().fee).toBe('25.00'); // loaded at start
      const rules = [{ provider: 'mpesa', currency: 'KES', direction: 'deposit', fixed: '7' }];
      expect((await put(admin, '/v1/operator/fees', { rules })).statusCode).toBe(200);
      const fee = await harness.eventually(async () => {
        const seen = (await quoteThere()).json().fee;
        return seen === '7.00' ? seen : undefined;
      }, 5_000);
      expect(fee).toBe('7.00');
    } finally {
      other.services.payments.rules.close();
    }
    const restarted = await testApi({ database: api.database, payments: { gateway: harness.gateway } });
    expect(restarted.services.payments.rules.view('fees')).toMatchObject({
      source: 'settings',
      rules: [{ provider: 'mpesa', currency: 'KES', direction: 'deposit', fixed: '7' }],
    });
  });

  it('keeps the rules in force when a stored set no longer parses, and logs that once, not every poll', async () => {
    const { pool } = api.database;
    const errors: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void errors.push(line) });
    const fees = new FeeSchedule(parseFeeSchedule(JSON.stringify(envFees)));
    const rules = new EditableRules({
      pool,
      logger,
      fees,
      limits: new Limits([]),
      feesJson: JSON.stringify(envFees),
      limitsJson: '[]',
    });
    await rules.load();
    const inForce = rules.view('fees');
    const feeInForce = fees.fee('mpesa', 'KES', 'deposit', 100_000n);
    // A currency ChatPay no longer knows: the stored set fails the parser that accepted it once.
    const broken = [{ provider: 'mpesa', currency: 'XYZ', direction: 'deposit', fixed: '1' }];
    const stored = await pool.query<{ value: unknown }>(
      `WITH old AS (SELECT value FROM settings WHERE key = 'payment_fees')
       INSERT INTO settings (key, value, updated_by, updated_at)
       VALUES ('payment_fees', $1::jsonb, NULL, clock_timestamp())
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
       RETURNING (SELECT value FROM old)`,
      [JSON.stringify(broken)],
    );
    try {
      for (let poll = 0; poll < 3; poll++) await rules.load();
      expect(rules.view('fees')).toEqual(inForce);
      expect(fees.fee('mpesa', 'KES', 'deposit', 100_000n)).toBe(feeInForce);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain('stored payment rules ignored');
    } finally {
      const value = stored.rows[0]?.value;
      if (value === null || value === undefined) {
        await pool.query("DELETE FROM settings WHERE key = 'payment_fees'");
      } else {
        await pool.query(
          "UPDATE settings SET value = $1::jsonb, updated_at = clock_timestamp() WHERE key = 'payment_fees'",
          [JSON.stringify(value)],
        );
      }
    }
  });
});
