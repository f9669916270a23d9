import { beforeAll, describe, expect, it } from 'vitest';
import { type TestApi, type TestUser, testApi } from '../helpers/api.ts';

let api: TestApi;
beforeAll(async () => {
  api = await testApi();
});

const send = (user: TestUser, payload: object, key?: string) =>
  api.app.inject({
    method: 'POST',
    url: '/v1/transfers',
    headers: { ...user.auth, ...(key ? { 'idempotency-key': key } : {}) },
    payload,
  });
const get = (user: TestUser, url: string) => api.app.inject({ method: 'GET', url, headers: user.auth });

describe('wallets', () => {
  it('lists one wallet per currency with available, posted and pending balances', async () => {
    const user = await api.register();
    expect((await get(user, '/v1/wallets')).json()).toEqual({ object: 'list', data: [], has_more: false });
    await api.fund(user.id, 'ETB', '150.25');
    await api.fund(user.id, 'BTC', '0.00012345');
    const wallets = (await get(user, '/v1/wallets')).json().data;
    expect(wallets.map((w: { currency: string; available: string }) => [w.currency, w.available])).toEqual([
      ['BTC', '0.00012345'],
      ['ETB', '150.25'],
    ]);
    expect(wallets[1]).toMatchObject({
      object: 'wallet',
      posted: '150.25',
      pending: { incoming: '0.00', outgoing: '0.00' },
    });
  });

  it('shows an unused currency with zero balances and rejects unknown ones', async () => {
    const user = await api.register();
    expect((await get(user, '/v1/wallets/KES')).json()).toMatchObject({ currency: 'KES', available: '0.00' });
    expect((await get(user, '/v1/wallets/UGX')).json()).toMatchObject({ available: '0' });
    const bad = await get(user, '/v1/wallets/XYZ');
    expect([bad.statusCode, bad.json().error.code, bad.json().error.param]).toEqual([
      400,
      'validation_failed',
      'currency',
    ]);
  });
});

describe('POST /v1/transfers', () => {
  it('moves money by user id, phone, email and Telegram username', async () => {
    const alice = await api.register();
    const bob = await api.register({ phone: '+254712345678' });
    await api.fund(alice.id, 'KES', '1000.00');
    // A number typed at registration is unproven: anyone could have typed it, so it receives nothing.
    const unproven = await send(alice, { to: '+254712345678', amount: '1.00', currency: 'KES' });
    expect([unproven.statusCode, unproven.json().error.code]).toEqual([404, 'recipient_not_found']);
    expect((await get(bob, '/v1/me')).json()).toMatchObject({
      phone: '+254712345678',
      phone_verified: false,
    });
    // Proven the way a shared Telegram contact proves it (src/channels/flows/flows/phone.ts).
    await api.database.pool.query(`UPDATE users SET phone_verified_at = now() WHERE id = $1`, [bob.id]);
    expect((await get(bob, '/v1/me')).json().phone_verified).toBe(true);
    await api.services.users.linkIdentity(bob.id, 'telegram', '424242', 'BobTheBuilder');
    for (const to of [bob.id, '+254 712 345 678', bob.email, '@bobthebuilder']) {
      const res = await send(alice, { to, amount: '10.50', currency: 'KES', note: 'lunch' });
      expect([to, res.statusCode]).toEqual([to, 201]);
      expect(res.json()).toMatchObject({
        object: 'transfer',
        amount: '10.50',
        currency: 'KES',
        from: { user_id: alice.id },
        to: { user_id: bob.id },
        note: 'lunch',
        status: 'succeeded',
      });
    }
    expect((await get(alice, '/v1/wallets/KES')).json().available).toBe('958.00');
    expect((await get(bob, '/v1/wallets/KES')).json().available).toBe('42.00');
  });

  it.each([
    [{ to: 'x', amount: '1.00', currency: 'KES' }, 404, 'recipient_not_found', 'to'],
    [
      { to: 'usr_00000000000000000000000000', amount: '1.00', currency: 'KES' },
      404,
      'recipient_not_found',
      'to',
    ],
    [{ amount: '1.00', currency: 'KES' }, 400, 'validation_failed', 'to'],
    [{ to: 'SELF', amount: '1.00', currency: 'KES' }, 400, 'transfer_to_self', 'to'],
    [{ to: 'BOB', amount: '1.005', currency: 'KES' }, 400, 'amount_too_precise', 'amount'],
    [{ to: 'BOB', amount: '0', currency: 'KES' }, 400, 'amount_must_be_positive', 'amount'],
    [{ to: 'BOB', amount: '-1', currency: 'KES' }, 400, 'amount_must_be_positive', 'amount'],
    [{ to: 'BOB', amount: '1e3', currency: 'KES' }, 400, 'amount_invalid', 'amount'],
    [{ to: 'BOB', amount: 10, currency: 'KES' }, 400, 'validation_failed', 'amount'],
    [{ to: 'BOB', amount: '1.00', currency: 'XYZ' }, 400, 'validation_failed', 'currency'],
    [{ to: 'BOB', amount: '1.00', currency: 'KES', extra: 1 }, 400, 'validation_failed', undefined],
    [{ to: 'BOB', amount: '99999.00', currency: 'KES', pin: '1234' }, 402, 'insufficient_funds', 'amount'],
  ])('refuses %j and moves nothing', async (payload, status, code, param) => {
    const alice = await api.register();
    const bob = await api.register();
    await api.fund(alice.id, 'KES', '100.00');
    await api.app.inject({ method: 'PUT', url: '/v1/me/pin', headers: alice.auth, payload: { pin: '1234' } });
    const body = JSON.parse(
      JSON.stringify(payload)
        .replace('"BOB"', JSON.stringify(bob.id))
        .replace('"SELF"', JSON.stringify(alice.id)),
    );
    const res = await send(alice, body);
    expect([res.statusCode, res.json().error.code]).toEqual([status, code]);
    if (param) expect(res.json().error.param).toBe(param);
    expect((await get(alice, '/v1/wallets/KES')).json().available).toBe('100.00');
    expect((await get(bob, '/v1/wallets/KES')).json().available).toBe('0.00');
  });

  it('needs the PIN above the threshold, and locks it after five wrong tries', async () => {
    const alice = await api.register();
    const bob = await api.register();
    await api.fund(alice.id, 'ETB', '5000.00');
    const big = { to: bob.id, amount: '1000.01', currency: 'ETB' };
    expect((await send(alice, big)).json().error.code).toBe('pin_not_set');
    expect((await send(alice, { ...big, amount: '1000.00' })).statusCode).toBe(201); // at the threshold: no PIN
    await api.app.inject({ method: 'PUT', url: '/v1/me/pin', headers: alice.auth, payload: { pin: '2468' } });
    expect((await send(alice, big)).json().error.code).toBe('pin_required');
    for (let i = 0; i < 4; i++)
      expect((await send(alice, { ...big, pin: '0000' })).json().error.code).toBe('pin_incorrect');
    const fifth = await send(alice, { ...big, pin: '0000' });
    expect([fifth.statusCode, fifth.json().error.code]).toEqual([423, 'pin_locked']);
    expect((await send(alice, { ...big, pin: '2468' })).json().error.code).toBe('pin_locked');
    await api.services.pool.query(
      "UPDATE users SET pin_locked_until = now() - interval '1 second' WHERE id = $1",
      [alice.id],
    );
    expect((await send(alice, { ...big, pin: '2468' })).statusCode).toBe(201);
    expect((await get(alice, '/v1/wallets/ETB')).json().available).toBe('2999.99');
  });

  it('shows a transfer to its sender and recipient only', async () => {
    const alice = await api.register();
    const bob = await api.register();
    const eve = await api.register();
    await api.fund(alice.id, 'USD', '10.00');
    const id = (await send(alice, { to: bob.id, amount: '1.00', currency: 'USD' })).json().id;
    expect((await get(alice, `/v1/transfers/${id}`)).json().id).toBe(id);
    expect((await get(bob, `/v1/transfers/${id}`)).json().id).toBe(id);
    const stranger = await get(eve, `/v1/transfers/${id}`);
    expect([stranger.statusCode, stranger.json().error.code]).toEqual([404, 'transfer_not_found']);
    expect((await get(alice, '/v1/transfers/txf_nope')).statusCode).toBe(404);
    const tooLong = await get(alice, `/v1/transfers/${'x'.repeat(101)}`);
    expect([tooLong.statusCode, tooLong.json().error.code]).toEqual([400, 'validation_failed']);
  });
});

describe('GET /v1/transactions', () => {
  it('lists movements newest first with cursor pagination and filters', async () => {
    const alice = await api.register();
    const bob = await api.register();
    await api.fund(alice.id, 'ETB', '100.00');
    await api.fund(alice.id, 'USD', '5.00');
    for (let i = 1; i <= 5; i++) await send(alice, { to: bob.id, amount: `${i}.00`, currency: 'ETB' });
    await send(bob, { to: alice.id, amount: '0.50', currency: 'ETB' });
    const page1 = (await get(alice, '/v1/transactions?limit=3')).json();
    expect(page1.has_more).toBe(true);
    expect(page1.data.map((t: { amount: string; direction: string }) => [t.amount, t.direction])).toEqual([
      ['0.50', 'in'],
      ['5.00', 'out'],
      ['4.00', 'out'],
    ]);
    expect(page1.data[0]).toMatchObject({
      object: 'transaction',
      type: 'p2p',
      status: 'succeeded',
      counterparty: { user_id: bob.id, kind: 'wallet' },
    });
    const page2 = (await get(alice, `/v1/transactions?limit=3&starting_after=${page1.data[2].id}`)).json();
    expect(page2.data.map((t: { amount: string }) => t.amount)).toEqual(['3.00', '2.00', '1.00']);
    expect(page2.has_more).toBe(true);
    const last = (await get(alice, `/v1/transactions?limit=3&starting_after=${page2.data[2].id}`)).json();
    expect(last.data.map((t: { amount: string; type: string }) => [t.amount, t.type])).toEqual([
      ['5.00', 'deposit'],
      ['100.00', 'deposit'],
    ]);
    expect(last.has_more).toBe(false);
    const usd = (await get(alice, '/v1/transactions?currency=USD')).json().data;
    expect(usd.map((t: { amount: string }) => t.amount)).toEqual(['5.00']);
    const deposits = (await get(alice, '/v1/transactions?type=deposit')).json().data;
    expect(deposits).toHaveLength(2);
    const future = (
      await get(
        alice,
        `/v1/transactions?created_from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
      )
    ).json().data;
    expect(future).toEqual([]);
    expect((await get(alice, '/v1/transactions?status=pending')).json().data).toEqual([]);
  });

  it.each([
    'limit=0',
    'limit=101',
    'limit=abc',
    'status=lost',
    'created_from=yesterday',
    'starting_after=txf_unknown',
    'foo=1',
  ])('rejects %s', async (query) => {
    const user = await api.register();
    await api.fund(user.id, 'ETB', '1.00');
    const res = await get(user, `/v1/transactions?${query}`);
    expect([res.statusCode, res.json().error.code]).toEqual([400, 'validation_failed']);
  });

  it("never shows another user's movements, even through their cursor", async () => {
    const alice = await api.register();
    const eve = await api.register();
    await api.fund(alice.id, 'ETB', '10.00');
    const aliceItem = (await get(alice, '/v1/transactions')).json().data[0].id;
    expect((await get(eve, '/v1/transactions')).json().data).toEqual([]);
    expect((await get(eve, `/v1/transactions?starting_after=${aliceItem}`)).statusCode).toBe(400);
  });
});
