import { beforeAll, describe, expect, it } from 'vitest';
import { purgeIdempotencyKeys } from '../../src/api/plugins/idempotency.ts';
import { type TestApi, testApi, testPin } from '../helpers/api.ts';

let api: TestApi;
beforeAll(async () => {
  api = await testApi();
});

async function pair(amount = '100.00') {
  const alice = await api.register();
  const bob = await api.register();
  await api.fund(alice.id, 'ETB', amount);
  return { alice, bob };
}

/** 0.01 ETB from one user to another, under an Idempotency-Key: the answer claims the key. */
const cent = (from: { auth: { authorization: string } }, to: { id: string }, key: string, app = api.app) =>
  app.inject({
    method: 'POST',
    url: '/v1/transfers',
    headers: { ...from.auth, 'idempotency-key': key },
    payload: { to: to.id, amount: '0.01', currency: 'ETB' },
  });

/**
 * 1,000.01 ETB, above the PIN threshold, under an Idempotency-Key: the key is claimed before the
 * handler runs (the PIN check counts wrong tries), and the answer stored over the claim.
 */
const pinned = (from: { auth: { authorization: string } }, to: { id: string }, key: string) =>
  api.app.inject({
    method: 'POST',
    url: '/v1/transfers',
    headers: { ...from.auth, 'idempotency-key': key },
    payload: { to: to.id, amount: '1000.01', currency: 'ETB', pin: testPin },
  });

/**
 * Row writes to idempotency_keys since the start, from every connection of the pool. A backend
 * reports its table statistics when idle, up to 10 s later unless told to flush: tell every
 * connection of the app's pool (held at once, so each is a different backend).
 */
async function keyWrites(): Promise<{ inserted: number; updated: number; hot: number }> {
  const pool = api.database.pool;
  const clients = await Promise.all(Array.from({ length: pool.totalCount }, () => pool.connect()));
  await Promise.all(clients.map((c) => c.query('SELECT pg_stat_force_next_flush()')));
  for (const c of clients) c.release();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const { rows } = await pool.query<{ ins: string; upd: string; hot: string }>(
    `SELECT n_tup_ins AS ins, n_tup_upd AS upd, n_tup_hot_upd AS hot FROM pg_stat_user_tables
      WHERE relname = 'idempotency_keys'`,
  );
  return { inserted: Number(rows[0]?.ins), updated: Number(rows[0]?.upd), hot: Number(rows[0]?.hot) };
}

const balance = async (user: { auth: { authorization: string } }) =>
  (await api.app.inject({ method: 'GET', url: '/v1/wallets/ETB', headers: user.auth })).json().available;

describe('Idempotency-Key', () => {
  it('replays the first response for the same key and body, and pays once', async () => {
    const { alice, bob } = await pair();
    const request = {
      method: 'POST' as const,
      url: '/v1/transfers',
      headers: { ...alice.auth, 'idempotency-key': 'order-1' },
      payload: { to: bob.id, amount: '10.00', currency: 'ETB' },
    };
    const first = await api.app.inject(request);
    const second = await api.app.inject(request);
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect([second.statusCode, second.headers['idempotent-replayed']]).toEqual([201, 'true']);
    expect(second.json()).toEqual(first.json());
    expect(await balance(alice)).toBe('90.00');
  });

  it('refuses the same key with a different body, changing nothing', async () => {
    const { alice, bob } = await pair();
    const headers = { ...alice.auth, 'idempotency-key': 'order-2' };
    await api.app.inject({
      method: 'POST',
      url: '/v1/transfers',
      headers,
      payload: { to: bob.id, amount: '10.00', currency: 'ETB' },
    });
    const other = await api.app.inject({
      method: 'POST',
      url: '/v1/transfers',
      headers,
      payload: { to: bob.id, amount: '20.00', currency: 'ETB' },
    });
    expect([other.statusCode, other.json().error.code]).toEqual([422, 'idempotency_key_reused']);
    expect(await balance(alice)).toBe('90.00');
  });

  it('scopes keys to the caller: two users may use the same key', async () => {
    const a = await pair();
    const b = await pair();
    for (const { alice, bob } of [a, b]) {
      const res = await api.app.inject({
        method: 'POST',
        url: '/v1/transfers',
        headers: { ...alice.auth, 'idempotency-key': 'shared-key' },
        payload: { to: bob.id, amount: '1.00', currency: 'ETB' },
      });
      expect([res.statusCode, res.headers['idempotent-replayed']]).toEqual([201, undefined]);
    }
  });

  it('gives exactly one transfer for 50 concurrent identical requests', async () => {
    const { alice, bob } = await pair();
    const request = {
      method: 'POST' as const,
      url: '/v1/transfers',
      headers: { ...alice.auth, 'idempotency-key': 'burst' },
      payload: { to: bob.id, amount: '7.00', currency: 'ETB' },
    };
    const responses = await Promise.all(Array.from({ length: 50 }, () => api.app.inject(request)));
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const created = responses.filter((r) => r.statusCode === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.json().id)).size).toBe(1);
    for (const r of responses.filter((x) => x.statusCode === 409))
      expect(r.json().error.code).toBe('idempotency_key_in_progress');
    expect(await balance(alice)).toBe('93.00');
    expect(await balance(bob)).toBe('7.00');
    const replay = await api.app.inject(request);
    expect([replay.statusCode, replay.json().id]).toEqual([201, created[0]?.json().id]);
  });

  it('claims a key with the answer that moves the money: one row insert, no claim before', async () => {
    const { alice, bob } = await pair();
    const before = await keyWrites();
    const count = 30;
    const responses = await Promise.all(
      Array.from({ length: count }, (_, i) => cent(alice, bob, `with-answer-${i}`)),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(responses.map(() => 201));
    const after = await keyWrites();
    expect([after.inserted - before.inserted, after.updated - before.updated]).toEqual([count, 0]);
    // The answer committed with the transfer: a retry replays it.
    const again = await cent(alice, bob, 'with-answer-3');
    expect([again.statusCode, again.headers['idempotent-replayed'], again.json()]).toEqual([
      201,
      'true',
      responses[3]?.json(),
    ]);
    expect(await balance(alice)).toBe('99.70');
  });

  it('answers a duplicate at another API process with the first answer, and pays once', async () => {
    const { alice, bob } = await pair();
    const other = await testApi({ database: api.database });
    // Twenty at once, half to each process: each process lets one run and answers the rest 409;
    // the two that run race to store their answers, and the loser, whose transfer was not made or
    // was found made, answers with the winner's.
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => cent(alice, bob, 'two-processes', i % 2 ? other.app : api.app)),
    );
    const answered = responses.filter((r) => r.statusCode === 201);
    expect(responses.map((r) => r.statusCode).sort()).toEqual([
      ...answered.map(() => 201),
      ...responses.filter((r) => r.statusCode !== 201).map(() => 409),
    ]);
    expect(answered.length).toBeGreaterThanOrEqual(1);
    expect(answered.length).toBeLessThanOrEqual(2);
    expect(new Set(answered.map((r) => r.json().id)).size).toBe(1);
    for (const r of responses.filter((x) => x.statusCode === 409)) {
      expect(r.json().error.code).toBe('idempotency_key_in_progress');
    }
    expect(await balance(alice)).toBe('99.99');
    expect(await balance(bob)).toBe('0.01');
    for (const app of [api.app, other.app]) {
      const again = await cent(alice, bob, 'two-processes', app);
      expect([again.statusCode, again.headers['idempotent-replayed'], again.json().id]).toEqual([
        201,
        'true',
        answered[0]?.json().id,
      ]);
    }
  });

  it('refuses another body under a key whose request is still running here, at once', async () => {
    const { alice, bob } = await pair();
    const headers = { ...alice.auth, 'idempotency-key': 'running' };
    const [first, second] = await Promise.all(
      ['1.00', '2.00'].map((amount) =>
        api.app.inject({
          method: 'POST',
          url: '/v1/transfers',
          headers,
          payload: { to: bob.id, amount, currency: 'ETB' },
        }),
      ),
    );
    expect([first?.statusCode, second?.statusCode, second?.json().error.code]).toEqual([
      201,
      422,
      'idempotency_key_reused',
    ]);
    expect(await balance(alice)).toBe('99.00');
  });

  it('above the PIN threshold, claims the key before the handler and stores the answer over the claim', async () => {
    const alice = await api.registerWithPin({ currency: 'ETB', amount: '70000.00' });
    const bob = await api.register();
    const before = await keyWrites();
    const count = 20;
    const responses = await Promise.all(
      Array.from({ length: count }, (_, i) => pinned(alice, bob, `claimed-first-${i}`)),
    );
    expect(responses.every((r) => r.statusCode === 201)).toBe(true);
    const after = await keyWrites();
    expect([after.inserted - before.inserted, after.updated - before.updated]).toEqual([count, count]);
    // A wrong PIN counts once, however often the request is retried: the retry is answered from the key.
    const wrong = { ...alice.auth, 'idempotency-key': 'wrong-pin' };
    const payload = { to: bob.id, amount: '1000.01', currency: 'ETB', pin: '0000' };
    for (let i = 0; i < 6; i++) {
      const res = await api.app.inject({ method: 'POST', url: '/v1/transfers', headers: wrong, payload });
      expect([res.statusCode, res.json().error.code]).toEqual([403, 'pin_incorrect']);
    }
    const right = await pinned(alice, bob, 'right-pin');
    expect(right.statusCode, right.body).toBe(201); // not locked: one wrong try, not six
  });

  it('claims commit without a disk flush, but leave every pooled connection synchronous', async () => {
    const alice = await api.registerWithPin({ currency: 'ETB', amount: '30000.00' });
    const bob = await api.register();
    const pool = api.database.pool;
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => pinned(alice, bob, `flush-${i}`)),
    );
    expect(responses.every((r) => r.statusCode === 201)).toBe(true);
    // The claims ran on these connections: had the setting outlived its transaction, the ledger's
    // and every other write on them would no longer wait for the disk.
    const clients = await Promise.all(Array.from({ length: pool.totalCount }, () => pool.connect()));
    try {
      const settings = await Promise.all(
        clients.map(
          async (c) => (await c.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0],
        ),
      );
      expect(settings.map((row) => row?.synchronous_commit)).toEqual(clients.map(() => 'on'));
    } finally {
      for (const c of clients) c.release();
    }
    // Each claim was stored (and answered): the retry replays instead of paying again.
    const again = await pinned(alice, bob, 'flush-7');
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await balance(alice)).toBe('9999.80');
  });

  it('replays a refusal too, but forgets a validation failure', async () => {
    const { alice, bob } = await pair('5.00');
    const headers = { ...alice.auth, 'idempotency-key': 'too-much' };
    const payload = { to: bob.id, amount: '10.00', currency: 'ETB' };
    const first = await api.app.inject({ method: 'POST', url: '/v1/transfers', headers, payload });
    expect(first.json().error.code).toBe('insufficient_funds');
    await api.fund(alice.id, 'ETB', '10.00');
    const again = await api.app.inject({ method: 'POST', url: '/v1/transfers', headers, payload });
    expect([again.json().error.code, again.headers['idempotent-replayed']]).toEqual([
      'insufficient_funds',
      'true',
    ]);
    // The retry could pay now, but its key's answer is the refusal: nothing moved.
    expect([await balance(alice), await balance(bob)]).toEqual(['15.00', '0.00']);
    const badKey = { ...alice.auth, 'idempotency-key': 'bad-body' };
    const invalid = await api.app.inject({
      method: 'POST',
      url: '/v1/transfers',
      headers: badKey,
      payload: { to: bob.id, amount: 'x', currency: 'ETB' },
    });
    expect(invalid.json().error.code).toBe('amount_invalid');
    const schemaInvalid = { ...alice.auth, 'idempotency-key': 'bad-schema' };
    await api.app.inject({
      method: 'POST',
      url: '/v1/transfers',
      headers: schemaInvalid,
      payload: { to: bob.id },
    });
    const retried = await api.app.inject({
      method: 'POST',
      url: '/v1/transfers',
      headers: schemaInvalid,
      payload,
    });
    expect(retried.statusCode).toBe(201); // a body that failed validation stored nothing under its key
  });

  it('keeps PINs and passwords out of the stored request hash: only they differing, the answer is replayed', async () => {
    const alice = await api.registerWithPin({ currency: 'ETB', amount: '5000.00' });
    const bob = await api.register();
    const send = (key: string, pin: string) =>
      api.app.inject({
        method: 'POST',
        url: '/v1/transfers',
        headers: { ...alice.auth, 'idempotency-key': key },
        payload: { to: bob.id, amount: '1000.01', currency: 'ETB', pin },
      });
    const wrong = await send('pin-hash-1', '0000');
    expect([wrong.statusCode, wrong.json().error.code]).toEqual([403, 'pin_incorrect']);
    // The right PIN under the same key: the same request, so the first answer, and no money moved.
    const right = await send('pin-hash-1', testPin);
    expect([right.statusCode, right.headers['idempotent-replayed']]).toEqual([403, 'true']);
    expect(await balance(alice)).toBe('5000.00');
    expect((await send('pin-hash-2', testPin)).statusCode).toBe(201);
    const { rows } = await api.services.pool.query<{ key: string; request_hash: string }>(
      `SELECT key, request_hash FROM idempotency_keys WHERE key LIKE 'pin-hash-%' ORDER BY key`,
    );
    // Two keys, two PINs, one hash: nothing in it depends on the PIN.
    expect(rows.map((r) => r.key)).toEqual(['pin-hash-1', 'pin-hash-2']);
    expect(new Set(rows.map((r) => r.request_hash)).size).toBe(1);
    // A registration's password likewise.
    const register = (password: string) =>
      api.app.inject({
        method: 'POST',
        url: '/v1/users',
        headers: { 'idempotency-key': `register-${alice.id}` },
        payload: { email: `hash-${alice.id}@example.com`, password },
      });
    const first = await register('first-password-1');
    expect(first.statusCode, first.body).toBe(201);
    const again = await register('other-password-2');
    expect([again.statusCode, again.headers['idempotent-replayed'], again.json()]).toEqual([
      201,
      'true',
      first.json(),
    ]);
  });

  it('rejects malformed keys', async () => {
    const { alice, bob } = await pair();
    for (const key of ['', 'x'.repeat(256), 'has space', 'ключ']) {
      const res = await api.app.inject({
        method: 'POST',
        url: '/v1/transfers',
        headers: { ...alice.auth, 'idempotency-key': key },
        payload: { to: bob.id, amount: '1.00', currency: 'ETB' },
      });
      expect([key, res.statusCode, res.json().error.code]).toEqual([
        key,
        400,
        expect.stringMatching(/idempotency_key_invalid|validation_failed/),
      ]);
    }
    expect(await balance(alice)).toBe('100.00');
  });

  it('keeps keys for the retention period (at least 72 hours), then purges them', async () => {
    const scope = `user:purge-${Date.now()}`;
    await api.services.pool.query(
      `INSERT INTO idempotency_keys (principal, key, request_hash, state, locked_until, created_at)
       VALUES ($1, 'old', 'h', 'done', now(), now() - interval '73 hours'),
              ($1, 'recent', 'h', 'done', now(), now() - interval '71 hours')`,
      [scope],
    );
    expect(await purgeIdempotencyKeys(api.services.pool, 72)).toBeGreaterThanOrEqual(1);
    const { rows } = await api.services.pool.query('SELECT key FROM idempotency_keys WHERE principal = $1', [
      scope,
    ]);
    expect(rows.map((r) => r.key)).toEqual(['recent']);
  });
});
