import type { InjectOptions } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/shared/ids.ts';
import { parseAmount } from '../../src/shared/money.ts';
import { connectRedis } from '../../src/shared/redis.ts';
import { Secret } from '../../src/shared/secret.ts';
import { type TestApi, testApi, testPin } from '../helpers/api.ts';
import { quietLogger } from '../helpers/database.ts';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('rate limits', () => {
  const clients: Redis[] = [];
  afterAll(async () => {
    for (const c of clients) await c.quit().catch(() => c.disconnect());
  });

  it('are shared by two API processes through Redis', async () => {
    // Distinct key prefixes per run: the real Redis is shared with other runs.
    const connect = () => {
      const client = new Redis(redisUrl, { keyPrefix: `${newId('rl')}:`, maxRetriesPerRequest: 2 });
      clients.push(client);
      return client;
    };
    const shared = connect();
    const limits = { perMinute: 5, authPerMinute: 3 };
    const a = await testApi({ redis: shared, rateLimits: limits });
    const b = await testApi({ redis: connect(), rateLimits: limits, database: a.database });
    // Point b at the same bucket store as a (same prefix): two processes, one Redis.
    const bShared = await testApi({ redis: shared, rateLimits: limits, database: a.database });
    const user = await a.register();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const app = (i % 2 === 0 ? a : bShared).app;
      statuses.push((await app.inject({ method: 'GET', url: '/v1/wallets', headers: user.auth })).statusCode);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    const limited = await a.app.inject({ method: 'GET', url: '/v1/wallets', headers: user.auth });
    expect(limited.json().error.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // A process with its own Redis keyspace counts separately: the sharing above was real.
    expect((await b.app.inject({ method: 'GET', url: '/v1/wallets', headers: user.auth })).statusCode).toBe(
      200,
    );
  });

  it('fail open when Redis is unreachable: requests are served, not refused', async () => {
    const unreachable = connectRedis(new Secret('redis://127.0.0.1:1'), quietLogger);
    clients.push(unreachable);
    const api = await testApi({ redis: unreachable, rateLimits: { perMinute: 5, authPerMinute: 5 } });
    const user = await api.register();
    const started = performance.now();
    const res = await api.app.inject({ method: 'GET', url: '/v1/wallets', headers: user.auth });
    expect(res.statusCode).toBe(200);
    expect(performance.now() - started).toBeLessThan(2_000);
    const ready = await api.app.inject({ method: 'GET', url: '/ready' });
    expect([ready.statusCode, ready.json().checks.redis]).toEqual([503, 'unavailable']);
  });

  it('count per IP on sign-in, whoever is named', async () => {
    const api = await testApi({ rateLimits: { perMinute: 100, authPerMinute: 3 } });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await api.app.inject({
        method: 'POST',
        url: '/v1/auth/token',
        payload: { login: `guess${i}@example.com`, password: 'guess guess guess' },
      });
      codes.push(res.statusCode);
    }
    expect(codes).toEqual([401, 401, 401, 429, 429]);
  });
});

describe('metrics access', () => {
  const token = 'metrics_token_0123456789abcdef';
  let guarded: TestApi;
  let closed: TestApi;
  beforeAll(async () => {
    guarded = await testApi({ metricsAccess: new Secret(token) });
    closed = await testApi({ database: guarded.database, metricsAccess: 'closed' });
  });

  it('serves /metrics only to the bearer of METRICS_TOKEN', async () => {
    const scrape = (api: TestApi, authorization?: string) =>
      api.app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
    expect((await scrape(guarded, `Bearer ${token}`)).statusCode).toBe(200);
    for (const wrong of [undefined, 'Bearer ', `Bearer ${token}x`, `Basic ${token}`, token]) {
      const res = await scrape(guarded, wrong);
      expect(res.statusCode, String(wrong)).toBe(401);
      expect(res.json().error.code).toBe('unauthenticated');
      expect(res.body).not.toContain('chatpay_http_request_duration_seconds');
    }
    // Production without a token: nobody, whatever they send.
    expect((await scrape(closed, `Bearer ${token}`)).statusCode).toBe(401);
  });
});

describe('observability', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi();
  });

  it('exposes Prometheus metrics: request latency by route, ledger batches, pool usage', async () => {
    const user = await api.register();
    await api.fund(user.id, 'ETB', '1.00');
    await api.app.inject({ method: 'GET', url: '/v1/wallets', headers: user.auth });
    const res = await api.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(
      /chatpay_http_request_duration_seconds_count\{route="\/v1\/wallets",method="GET",status="200"\} 1/,
    );
    expect(res.body).toMatch(/chatpay_ledger_batch_transfers_count [1-9]/);
    expect(res.body).toMatch(/chatpay_db_pool_connections\{state="total"\} [1-9]/);
  });

  it('reports readiness of the database and the realtime bus', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/ready' });
    expect([res.statusCode, res.json().checks]).toEqual([200, { database: 'ok', realtime: 'ok' }]);
  });

  it('audits every state-changing request: who, what, outcome, IP, user agent, request id', async () => {
    const user = await api.register();
    const res = await api.app.inject({
      method: 'PUT',
      url: '/v1/me/pin',
      headers: { ...user.auth, 'user-agent': 'audit-test/1.0' },
      payload: { pin: '2580' },
    });
    const refused = await api.app.inject({
      method: 'PUT',
      url: '/v1/me/pin',
      headers: user.auth,
      payload: { pin: 'abcd' },
    });
    const { rows } = await api.services.pool.query(
      'SELECT principal, action, status, ip, user_agent, request_id FROM audit_log WHERE request_id = ANY($1) ORDER BY status',
      [[res.headers['request-id'], refused.headers['request-id']]],
    );
    expect(rows).toEqual([
      {
        principal: `user:${user.id}`,
        action: 'PUT /v1/me/pin',
        status: 204,
        ip: '127.0.0.1',
        user_agent: 'audit-test/1.0',
        request_id: res.headers['request-id'],
      },
      {
        principal: `user:${user.id}`,
        action: 'PUT /v1/me/pin',
        status: 400,
        ip: '127.0.0.1',
        user_agent: 'lightMyRequest',
        request_id: refused.headers['request-id'],
      },
    ]);
    await expect(api.services.pool.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
  });

  it("commits a transfer's audit entry and stored answer with the transfer itself, once", async () => {
    const alice = await api.register();
    const bob = await api.register();
    await api.fund(alice.id, 'ETB', '10.00');
    const send = (key: string, amount: string) =>
      api.app.inject({
        method: 'POST',
        url: '/v1/transfers',
        headers: { ...alice.auth, 'idempotency-key': key },
        payload: { to: bob.id, amount, currency: 'ETB' },
      });
    const pool = api.services.pool;
    const entries = async (requestId: unknown) =>
      (
        await pool.query<{ status: number; object: string | null; action: string; xmin: string }>(
          'SELECT status, object, action, xmin::text FROM audit_log WHERE request_id = $1',
          [requestId],
        )
      ).rows;

    const paid = await send('alongside-1', '1.00');
    expect(paid.statusCode, paid.body).toBe(201);
    const id = paid.json().id as string;
    const [entry, ...more] = await entries(paid.headers['request-id']);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ status: 201, object: id, action: 'POST /v1/transfers' });
    // The same transaction wrote both rows: no transfer can commit without its entry.
    const { rows } = await pool.query<{ xmin: string }>(
      'SELECT xmin::text FROM ledger_transfers WHERE id = $1',
      [id],
    );
    expect(rows[0]?.xmin).toBe(entry?.xmin);
    const replay = await send('alongside-1', '1.00');
    expect([replay.statusCode, replay.headers['idempotent-replayed'], replay.json()]).toEqual([
      201,
      'true',
      paid.json(),
    ]);

    // A refusal moves nothing: its entry and answer go the ordinary way, once.
    const refused = await send('alongside-2', '100.00');
    expect(refused.statusCode, refused.body).toBe(402);
    expect((await entries(refused.headers['request-id'])).map((e) => [e.status, e.object])).toEqual([
      [402, null],
    ]);
    const again = await send('alongside-2', '100.00');
    expect([again.statusCode, again.headers['idempotent-replayed']]).toEqual([402, 'true']);
    expect(await api.available(alice.id, 'ETB')).toBe(900n);
  });

  it.each([
    // Below the PIN threshold the answer claims the key in the ledger's statement: no answer, no transfer.
    { amount: '1.00', claimed: 'with its answer', movedFirst: false },
    // Above it the key was claimed before the handler: the transfer commits, the answer can't be stored.
    { amount: '1000.01', claimed: 'before the handler', movedFirst: true },
  ])(
    'answers 503 audit_unavailable when the audit entry cannot be written (key claimed $claimed), and the retry pays once',
    async ({ amount, movedFirst }) => {
      const alice = await api.registerWithPin({ currency: 'ETB', amount: '2000.00' });
      const bob = await api.register();
      const key = `audit-outage-${amount}`;
      const send = () =>
        api.app.inject({
          method: 'POST',
          url: '/v1/transfers',
          headers: { ...alice.auth, 'idempotency-key': key },
          payload: { to: bob.id, amount, currency: 'ETB', pin: testPin },
        });
      const units = parseAmount(amount, 'ETB');
      const pool = api.services.pool;
      // The audit statement fails (as in a failover).
      await pool.query('ALTER FUNCTION audit_write_rows RENAME TO audit_write_rows_away');
      let first: Awaited<ReturnType<typeof send>>;
      let keyless: Awaited<ReturnType<typeof send>>;
      try {
        first = await send();
        // Without a key a retry would be a new transfer: that request keeps its real answer.
        keyless = await api.app.inject({
          method: 'POST',
          url: '/v1/transfers',
          headers: alice.auth,
          payload: { to: bob.id, amount: '2.00', currency: 'ETB' },
        });
      } finally {
        await pool.query('ALTER FUNCTION audit_write_rows_away RENAME TO audit_write_rows');
      }
      expect(first.statusCode, first.body).toBe(503);
      expect(first.json().error).toMatchObject({
        code: 'audit_unavailable',
        request_id: first.headers['request-id'],
      });
      expect(keyless.statusCode, keyless.body).toBe(201);
      expect(await api.available(alice.id, 'ETB')).toBe(200_000n - 200n - (movedFirst ? units : 0n));
      const { rows: lost } = await pool.query('SELECT 1 FROM audit_log WHERE request_id = $1', [
        first.headers['request-id'],
      ]);
      expect(lost).toEqual([]);

      // Nothing is left under the key: the retry runs at once, pays (or finds the transfer), answers
      // and is audited.
      const retry = await send();
      expect(retry.statusCode, retry.body).toBe(201);
      expect(retry.json()).toMatchObject({ amount, to: { user_id: bob.id } });
      expect(await api.available(alice.id, 'ETB')).toBe(200_000n - 200n - units); // the keyed one once
      const { rows } = await pool.query('SELECT status FROM audit_log WHERE request_id = $1', [
        retry.headers['request-id'],
      ]);
      expect(rows).toEqual([{ status: 201 }]);
    },
  );
});

describe('secrets never leak', () => {
  it('keeps canary password, PIN, tokens and API key out of logs, error bodies and the audit log', async () => {
    const api = await testApi();
    const password = 'canary-password-QX7Z';
    const pin = '4827';
    const email = `canary-${newId('c')}@example.com`;
    const bodies: string[] = [];
    const call = async (request: InjectOptions) => {
      const res = await api.app.inject(request);
      bodies.push(res.body);
      return res;
    };
    await call({ method: 'POST', url: '/v1/users', payload: { email, password } });
    await call({ method: 'POST', url: '/v1/users', payload: { email, password } }); // duplicate: an error body
    await call({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { login: email, password: `${password}-wrong` },
    });
    const tokens = (
      await call({ method: 'POST', url: '/v1/auth/token', payload: { login: email, password } })
    ).json();
    const auth = { authorization: `Bearer ${tokens.access_token}` };
    await call({ method: 'PUT', url: '/v1/me/pin', headers: auth, payload: { pin } });
    await call({
      method: 'PUT',
      url: '/v1/me/pin',
      headers: auth,
      payload: { pin: '1111', current_pin: '9999' },
    });
    await call({
      method: 'POST',
      url: '/v1/transfers',
      headers: auth,
      payload: { to: 'nobody@example.com', amount: '5000.00', currency: 'ETB', pin },
    });
    await call({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: tokens.refresh_token } });
    const adminEmail = `admin-${newId('c')}@example.com`;
    await api.services.users.register({ email: adminEmail, password, role: 'admin' });
    const adminToken = (
      await call({ method: 'POST', url: '/v1/auth/token', payload: { login: adminEmail, password } })
    ).json().access_token;
    const merchant = (
      await call({
        method: 'POST',
        url: '/v1/merchants',
        headers: { authorization: `Bearer ${adminToken}` },
        payload: { name: 'Canary' },
      })
    ).json();
    const key = (
      await api.app.inject({
        method: 'POST',
        url: `/v1/merchants/${merchant.id}/api_keys`,
        headers: { authorization: `Bearer ${adminToken}` },
        payload: { mode: 'test' },
      })
    ).json().secret;
    await call({ method: 'GET', url: '/v1/balance', headers: { authorization: `Bearer ${key}` } });
    await call({ method: 'GET', url: '/v1/balance', headers: { authorization: `Bearer ${key}x` } });
    const canaries = [
      password,
      pin,
      tokens.access_token,
      tokens.refresh_token,
      tokens.refresh_token.split('.')[1],
      key,
    ];
    const audit = JSON.stringify((await api.services.pool.query('SELECT * FROM audit_log')).rows);
    const idempotency = JSON.stringify(
      (await api.services.pool.query('SELECT * FROM idempotency_keys')).rows,
    );
    const logs = api.logs.join('\n');
    expect(api.logs.length).toBeGreaterThan(10); // the log was really captured
    for (const canary of canaries) {
      // The PIN is four digits, which random ids and timings contain by chance: look for it as a
      // JSON string, the only way a leaked PIN would be written.
      const leaked = (text: string) => (canary === pin ? text.includes(`"${pin}"`) : text.includes(canary));
      expect([canary, leaked(logs)]).toEqual([canary, false]);
      expect([canary, bodies.filter((b) => !b.includes('access_token')).some(leaked)]).toEqual([
        canary,
        false,
      ]);
      expect([canary, leaked(audit)]).toEqual([canary, false]);
      expect([canary, leaked(idempotency)]).toEqual([canary, false]);
    }
  });
});
