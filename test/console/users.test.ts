/**
 * The console's users: search by every field, the detail view, the audit trail and the audit log,
 * and freezing — which must stop every way a person moves money out, and nothing else.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { userSearchQuery } from '../../src/api/routes/console/users.ts';
import { type TestUser, testPin } from '../helpers/api.ts';
import { paymentsHarness } from '../helpers/payments.ts';

const harness = await paymentsHarness({ providers: ['mpesa'], approvalAbove: 'KES=1000,ETB=1000000' });
const { api } = harness;
const pool = api.database.pool;
const mpesaPhone = '+254708374149';
let keys = 0;

let admin: TestUser;
let support: TestUser;
let finance: TestUser;
let viewer: TestUser;

beforeAll(async () => {
  [admin, support, finance, viewer] = await Promise.all([
    harness.operator('admin'),
    harness.operator('support'),
    harness.operator('finance'),
    harness.operator('viewer'),
  ]);
});

function get(who: TestUser, url: string) {
  return api.app.inject({ method: 'GET', url, headers: who.auth });
}

function post(who: TestUser, url: string, payload: unknown) {
  return api.app.inject({
    method: 'POST',
    url,
    headers: { ...who.auth, 'idempotency-key': `k-${keys++}` },
    payload: payload as Record<string, unknown>,
  });
}

const codeOf = (res: { statusCode: number; json(): { error?: { code: string } } }) => [
  res.statusCode,
  res.json().error?.code,
];

async function paymentsOf(userId: string): Promise<number> {
  const { rows } = await pool.query('SELECT 1 FROM payments WHERE user_id = $1', [userId]);
  return rows.length;
}

const ids = (res: { json(): { data: { id: string }[] } }) => res.json().data.map((u) => u.id);

describe('search', () => {
  let abebe: TestUser;
  let wanjiru: TestUser;
  let tg: TestUser;

  beforeAll(async () => {
    abebe = await api.register({ email: 'abebe.kebede@example.com' });
    await pool.query(`UPDATE users SET display_name = 'Abebe Kebede' WHERE id = $1`, [abebe.id]);
    wanjiru = await api.register({ email: 'wanjiru@example.org', phone: '+254712345678' });
    tg = await api.register({ email: 'tg-user@example.net' });
    await api.services.users.linkIdentity(tg.id, 'telegram', '777001', 'Selam_Tg');
  });

  it.each([
    ['display name, any case', 'aBEBE k'],
    ['email prefix', 'ABEBE.KEB'],
  ])('finds by %s', async (_what, q) => {
    const res = await get(viewer, `/v1/operator/users?q=${encodeURIComponent(q)}`);
    expect(res.statusCode).toBe(200);
    expect(ids(res)).toEqual([abebe.id]);
    expect(res.json().data[0]).toMatchObject({
      object: 'user',
      email: 'abebe.kebede@example.com',
      display_name: 'Abebe Kebede',
      role: 'user',
      kyc_level: 'none',
      frozen: false,
      telegram_username: null,
    });
  });

  it.each([
    ['a full number, formatted', '+254 712 345 678'],
    ['a full number without spaces', '+254712345678'],
    ['the start of a number', '+2547123'],
  ])('finds by phone: %s', async (_what, q) => {
    const res = await get(support, `/v1/operator/users?q=${encodeURIComponent(q)}`);
    expect(ids(res)).toEqual([wanjiru.id]);
    expect(res.json().data[0].phone).toBe('+254712345678');
    // Typed at registration, not shared in a chat: unproven.
    expect(res.json().data[0].phone_verified).toBe(false);
  });

  it('says whether a number was proven in a chat', async () => {
    await api.database.pool.query(`UPDATE users SET phone_verified_at = now() WHERE id = $1`, [wanjiru.id]);
    try {
      const res = await get(support, `/v1/operator/users/${wanjiru.id}`);
      expect(res.json()).toMatchObject({ phone: '+254712345678', phone_verified: true });
    } finally {
      await api.database.pool.query(`UPDATE users SET phone_verified_at = NULL WHERE id = $1`, [wanjiru.id]);
    }
  });

  it.each([
    ['with @', '@selam_'],
    ['without @', 'SELAM'],
  ])('finds by Telegram username %s', async (_what, q) => {
    const res = await get(finance, `/v1/operator/users?q=${encodeURIComponent(q)}`);
    expect(ids(res)).toEqual([tg.id]);
    expect(res.json().data[0].telegram_username).toBe('Selam_Tg');
  });

  it('matches prefixes only, and takes LIKE wildcards literally', async () => {
    for (const q of ['kebede', '%', '_', 'example.com', '@abebe']) {
      const res = await get(admin, `/v1/operator/users?q=${encodeURIComponent(q)}`);
      expect([q, res.statusCode, ids(res)]).toEqual([q, 200, []]);
    }
  });

  it('lists everyone newest first without q, in pages', async () => {
    const all = await get(viewer, '/v1/operator/users?limit=100');
    expect(ids(all).slice(0, 3)).toEqual([tg.id, wanjiru.id, abebe.id]);
    const first = await get(viewer, '/v1/operator/users?limit=2');
    expect([ids(first), first.json().has_more]).toEqual([[tg.id, wanjiru.id], true]);
    const next = await get(viewer, `/v1/operator/users?limit=2&starting_after=${wanjiru.id}`);
    expect(ids(next)[0]).toBe(abebe.id);
  });

  it('uses the prefix indexes, not a scan of users', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT id FROM users WHERE email IS NOT NULL AND email LIKE 'abc%'
         UNION SELECT user_id FROM user_identities WHERE username IS NOT NULL AND lower(username) LIKE 'abc%'`,
      );
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toContain('users_email_prefix_idx');
      expect(plan).toContain('user_identities_username_prefix_idx');
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });

  it('reads each field in its index order, so a broad prefix stops at the cap instead of sorting every match', async () => {
    // `+254` is looked for in all four fields: names, emails and usernames as text, phones as a prefix.
    const search = userSearchQuery({ q: '+254', limit: 21 });
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      await client.query('SET LOCAL enable_bitmapscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${search.text}`, search.values);
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      for (const index of [
        'users_display_name_prefix_idx',
        'users_email_prefix_idx',
        'users_phone_prefix_idx',
        'user_identities_username_prefix_idx',
      ]) {
        expect(plan).toContain(index);
      }
      // The page is sorted by id; no field's matches are.
      expect(plan).not.toMatch(/Sort Key: .*(display_name|email|phone|username)/);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('refuses bad input with validation_failed, and people who are not operators', async () => {
    expect(codeOf(await get(viewer, `/v1/operator/users?q=${'a'.repeat(201)}`))).toEqual([
      400,
      'validation_failed',
    ]);
    expect(codeOf(await get(viewer, '/v1/operator/users?limit=0'))).toEqual([400, 'validation_failed']);
    expect(codeOf(await get(viewer, '/v1/operator/users?frozen=true'))).toEqual([400, 'validation_failed']);
    expect(codeOf(await get(abebe, '/v1/operator/users?q=a'))).toEqual([403, 'forbidden']);
    const anonymous = await api.app.inject({ method: 'GET', url: '/v1/operator/users' });
    expect(codeOf(anonymous)).toEqual([401, 'unauthenticated']);
  });
});

describe('detail', () => {
  it('shows identities, wallets, KYC level and frozen state', async () => {
    const user = await api.register();
    await api.fund(user.id, 'ETB', '12.50');
    await api.services.users.linkIdentity(user.id, 'telegram', '888002', 'detail_person');
    const res = await get(viewer, `/v1/operator/users/${user.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: user.id,
      telegram_username: 'detail_person',
      identities: [{ provider: 'telegram', external_id: '888002', username: 'detail_person' }],
      wallets: [{ currency: 'ETB', available: '12.50', posted: '12.50' }],
      kyc: { level: 'none' },
      frozen: false,
      frozen_at: null,
      frozen_reason: null,
    });
  });

  it('answers 404 user_not_found for an unknown id', async () => {
    for (const url of ['/v1/operator/users/usr_nobody', '/v1/operator/users/usr_nobody/audit']) {
      expect(codeOf(await get(viewer, url))).toEqual([404, 'user_not_found']);
    }
    const freeze = await post(admin, '/v1/operator/users/usr_nobody/freeze', { reason: 'fraud report' });
    expect(codeOf(freeze)).toEqual([404, 'user_not_found']);
  });
});

describe('freezing', () => {
  it('is for admin and support, with a reason, once', async () => {
    const user = await api.register();
    const url = `/v1/operator/users/${user.id}/freeze`;
    expect(codeOf(await post(finance, url, { reason: 'fraud report' }))).toEqual([403, 'forbidden']);
    expect(codeOf(await post(viewer, url, { reason: 'fraud report' }))).toEqual([403, 'forbidden']);
    expect(codeOf(await post(support, url, {}))).toEqual([400, 'validation_failed']);
    expect((await post(support, url, {})).json().error.param).toBe('reason');
    expect(codeOf(await post(support, url, { reason: '   ' }))).toEqual([400, 'validation_failed']);
    const frozen = await post(support, url, { reason: 'fraud report #12' });
    expect(frozen.statusCode).toBe(200);
    expect(frozen.json()).toMatchObject({ frozen: true, frozen_reason: 'fraud report #12' });
    expect(codeOf(await post(admin, url, { reason: 'again' }))).toEqual([409, 'user_already_frozen']);
    const unfreeze = `/v1/operator/users/${user.id}/unfreeze`;
    expect(codeOf(await post(support, unfreeze, {}))).toEqual([400, 'validation_failed']);
    expect((await post(admin, unfreeze, { reason: 'cleared' })).json()).toMatchObject({
      frozen: false,
      frozen_at: null,
    });
    expect(codeOf(await post(admin, unfreeze, { reason: 'cleared' }))).toEqual([409, 'user_not_frozen']);
  });

  it('never to oneself, and only an admin freezes an operator', async () => {
    const self = await post(support, `/v1/operator/users/${support.id}/freeze`, { reason: 'testing' });
    expect(codeOf(self)).toEqual([403, 'operator_self_action']);
    const otherOperator = `/v1/operator/users/${finance.id}/freeze`;
    expect(codeOf(await post(support, otherOperator, { reason: 'suspicious' }))).toEqual([403, 'forbidden']);
    expect((await post(admin, otherOperator, { reason: 'suspicious' })).statusCode).toBe(200);
    const unfreeze = await post(admin, `/v1/operator/users/${finance.id}/unfreeze`, { reason: 'cleared' });
    expect(unfreeze.statusCode).toBe(200);
  });
});

describe('a frozen user moves no money', () => {
  let frozen: TestUser;
  let friend: TestUser;

  beforeAll(async () => {
    frozen = await api.registerWithPin({ currency: 'KES', amount: '500.00' });
    friend = await api.registerWithPin({ currency: 'KES', amount: '100.00' });
    const res = await post(support, `/v1/operator/users/${frozen.id}/freeze`, { reason: 'chargeback ring' });
    expect(res.statusCode).toBe(200);
  });

  it('refuses transfers with user_frozen and moves nothing', async () => {
    const res = await post(frozen, '/v1/transfers', { to: friend.id, amount: '10.00', currency: 'KES' });
    expect(codeOf(res)).toEqual([403, 'user_frozen']);
    expect(await api.available(frozen.id, 'KES')).toBe(50_000n);
    expect(await api.available(friend.id, 'KES')).toBe(10_000n);
  });

  it('refuses holding money for someone not on ChatPay yet (the bot’s path) and moves nothing', async () => {
    const hold = api.services.held.hold({
      id: `held_frozen_${frozen.id}`,
      fromUserId: frozen.id,
      to: '@not_yet_here',
      amount: '10.00',
      currency: 'KES',
      pin: testPin,
    });
    await expect(hold).rejects.toMatchObject({ code: 'user_frozen' });
    expect(await api.available(frozen.id, 'KES')).toBe(50_000n);
  });

  it('refuses withdrawals with user_frozen: no payment, no hold', async () => {
    const res = await post(frozen, '/v1/withdrawals', {
      provider: 'mpesa',
      amount: '100.00',
      currency: 'KES',
      destination: { phone: mpesaPhone },
      pin: testPin,
    });
    expect(codeOf(res)).toEqual([403, 'user_frozen']);
    expect(await paymentsOf(frozen.id)).toBe(0);
    expect(await api.available(frozen.id, 'KES')).toBe(50_000n);
  });

  it('refuses deposits with user_frozen', async () => {
    const res = await post(frozen, '/v1/deposits', {
      provider: 'mpesa',
      amount: '100.00',
      currency: 'KES',
      phone: mpesaPhone,
    });
    expect(codeOf(res)).toEqual([403, 'user_frozen']);
    expect(await paymentsOf(frozen.id)).toBe(0);
  });

  it('still receives money sent to them', async () => {
    const res = await post(friend, '/v1/transfers', { to: frozen.id, amount: '5.00', currency: 'KES' });
    expect(res.statusCode).toBe(201);
    expect(await api.available(frozen.id, 'KES')).toBe(50_500n);
  });

  it('moves money again once unfrozen', async () => {
    const unfreeze = await post(admin, `/v1/operator/users/${frozen.id}/unfreeze`, { reason: 'cleared' });
    expect(unfreeze.statusCode).toBe(200);
    const sent = await post(frozen, '/v1/transfers', { to: friend.id, amount: '10.00', currency: 'KES' });
    expect(sent.statusCode).toBe(201);
    const withdrawal = await post(frozen, '/v1/withdrawals', {
      provider: 'mpesa',
      amount: '100.00',
      currency: 'KES',
      destination: { phone: mpesaPhone },
      pin: testPin,
    });
    expect(withdrawal.statusCode).toBe(201);
    const deposit = await post(frozen, '/v1/deposits', {
      provider: 'mpesa',
      amount: '100.00',
      currency: 'KES',
      phone: mpesaPhone,
    });
    expect(deposit.statusCode).toBe(201);
  });

  it('sees a freeze that commits while a withdrawal is under way, and releases its hold', async () => {
    const user = await api.registerWithPin({ currency: 'KES', amount: '300.00' });
    const freezer = await pool.connect();
    try {
      await freezer.query('BEGIN');
      await freezer.query(`UPDATE users SET frozen_at = now(), frozen_reason = 'race' WHERE id = $1`, [
        user.id,
      ]);
      // The withdrawal passes the first (unlocked) check, holds the money, then waits on the row lock.
      const pending = post(user, '/v1/withdrawals', {
        provider: 'mpesa',
        amount: '100.00',
        currency: 'KES',
        destination: { phone: mpesaPhone },
        pin: testPin,
      });
      await harness.eventually(async () =>
        (await api.available(user.id, 'KES')) < 30_000n ? true : undefined,
      );
      await freezer.query('COMMIT');
      expect(codeOf(await pending)).toEqual([403, 'user_frozen']);
    } finally {
      freezer.release();
    }
    expect(await paymentsOf(user.id)).toBe(0);
    expect(await api.available(user.id, 'KES')).toBe(30_000n);
  });

  it('keeps a frozen user’s withdrawal from being approved (it can be rejected)', async () => {
    const user = await api.registerWithPin({ currency: 'KES', amount: '3000.00' });
    const res = await post(user, '/v1/withdrawals', {
      provider: 'mpesa',
      amount: '2000.00',
      currency: 'KES',
      destination: { phone: mpesaPhone },
      pin: testPin,
    });
    expect(res.json().status).toBe('requires_approval');
    await post(support, `/v1/operator/users/${user.id}/freeze`, { reason: 'looks like a mule' });
    const approve = await post(finance, `/v1/withdrawals/${res.json().id}/approve`, {});
    expect(codeOf(approve)).toEqual([403, 'user_frozen']);
    const reject = await post(finance, `/v1/withdrawals/${res.json().id}/reject`, { reason: 'frozen' });
    expect(reject.json().status).toBe('rejected');
    expect(await api.available(user.id, 'KES')).toBe(300_000n);
  });
});

describe('audit', () => {
  let person: TestUser;

  beforeAll(async () => {
    person = await api.registerWithPin({ currency: 'KES', amount: '50.00' });
    await post(support, `/v1/operator/users/${person.id}/freeze`, { reason: 'audit trail check' });
    await post(person, '/v1/transfers', { to: admin.id, amount: '1.00', currency: 'KES' }); // refused
    await post(admin, `/v1/operator/users/${person.id}/unfreeze`, { reason: 'fine' });
  });

  it("shows a user's trail: what was done to them and what they did, newest first", async () => {
    const res = await get(viewer, `/v1/operator/users/${person.id}/audit`);
    expect(res.statusCode).toBe(200);
    const trail = res.json().data.map((e: { action: string; status: number }) => [e.action, e.status]);
    expect(trail.slice(0, 3)).toEqual([
      ['POST /v1/operator/users/:id/unfreeze', 200],
      ['POST /v1/transfers', 403],
      ['POST /v1/operator/users/:id/freeze', 200],
    ]);
    const freeze = res.json().data[2];
    expect(freeze).toMatchObject({
      object: 'audit_entry',
      principal: `user:${support.id}`,
      object_id: person.id,
      before: { frozen_at: null },
      after: { frozen_reason: 'audit trail check' },
    });
    const page = await get(
      viewer,
      `/v1/operator/users/${person.id}/audit?limit=1&starting_after=${freeze.id}`,
    );
    expect(page.json().data.map((e: { id: string }) => e.id)).not.toContain(freeze.id);
  });

  it('filters the log by principal, action, object and time', async () => {
    const byObject = await get(finance, `/v1/operator/audit?object=${person.id}`);
    expect(byObject.json().data.map((e: { action: string }) => e.action)).toEqual([
      'POST /v1/operator/users/:id/unfreeze',
      'POST /v1/operator/users/:id/freeze',
    ]);
    const action = encodeURIComponent('POST /v1/operator/users/:id/freeze');
    const byBoth = await get(finance, `/v1/operator/audit?action=${action}&principal=user:${support.id}`);
    expect(byBoth.json().data.length).toBeGreaterThan(0);
    for (const e of byBoth.json().data)
      expect([e.action, e.principal]).toEqual(['POST /v1/operator/users/:id/freeze', `user:${support.id}`]);
    const future = await get(viewer, `/v1/operator/audit?created_from=2999-01-01`);
    expect(future.json().data).toEqual([]);
    const today = new Date().toISOString().slice(0, 10);
    const upToToday = await get(viewer, `/v1/operator/audit?object=${person.id}&created_to=${today}`);
    expect(upToToday.json().data.length).toBe(2);
    const past = await get(viewer, `/v1/operator/audit?object=${person.id}&created_to=2020-01-01T00:00:00Z`);
    expect(past.json().data).toEqual([]);
    const paged = await get(viewer, `/v1/operator/audit?object=${person.id}&limit=1`);
    expect(paged.json().has_more).toBe(true);
  });

  it('refuses malformed filters with validation_failed', async () => {
    for (const query of [
      'created_from=yesterday',
      'created_to=2026-13-45',
      'starting_after=aud_1',
      'limit=101',
    ]) {
      const res = await get(viewer, `/v1/operator/audit?${query}`);
      expect([query, ...codeOf(res)]).toEqual([query, 400, 'validation_failed']);
    }
    expect((await get(viewer, '/v1/operator/audit?created_from=yesterday')).json().error.param).toBe(
      'created_from',
    );
    expect(codeOf(await get(person, '/v1/operator/audit'))).toEqual([403, 'forbidden']);
  });

  it('reads dates as the transaction list does: no rolled-over day, no range that ends before it starts', async () => {
    for (const [query, param] of [
      ['created_from=2026-02-30', 'created_from'],
      ['created_to=2026-11-23T10:00:00', 'created_to'],
      ['created_from=2026-11-24&created_to=2026-11-22', 'created_to'],
    ]) {
      const res = await get(viewer, `/v1/operator/audit?${query}`);
      expect([query, ...codeOf(res), res.json().error.param]).toEqual([
        query,
        400,
        'validation_failed',
        param,
      ]);
    }
    const at = encodeURIComponent('2026-11-23T10:00:00.123456+03:00');
    expect((await get(viewer, `/v1/operator/audit?created_from=${at}`)).statusCode).toBe(200);
  });
});
