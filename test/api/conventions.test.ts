import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/api/openapi-document.ts';
import { routeTable, type TestApi, testApi } from '../helpers/api.ts';

let api: TestApi;
beforeAll(async () => {
  api = await testApi();
});

describe('every /v1 route', () => {
  it('has a schema (body for writes, every response) and declares who may call it', async () => {
    const routes = await routeTable();
    expect(routes.length).toBeGreaterThan(5);
    for (const route of routes) {
      const name = `${route.method} ${route.url}`;
      const schema = route.schema as { body?: unknown; response?: Record<string, unknown> } | undefined;
      expect([name, Object.keys(schema?.response ?? {}).length > 0]).toEqual([name, true]);
      if (route.method === 'POST' || route.method === 'PUT')
        expect([name, schema?.body !== undefined]).toEqual([name, true]);
      expect([
        name,
        ['public', 'user', 'operator', 'merchant'].includes(String(route.config?.access)),
      ]).toEqual([name, true]);
    }
  });

  it('matches the committed OpenAPI document (run `npm run openapi` after changing a route)', async () => {
    const committed = JSON.parse(readFileSync(join(import.meta.dirname, '../../docs/openapi.json'), 'utf8'));
    expect(await openApiDocument()).toEqual(committed);
  });
});

describe('bad input on every route with a body', () => {
  it('is refused with validation_failed and the offending field, whoever calls', async () => {
    const user = await api.register();
    const email = `admin-${Date.now()}@example.com`;
    await api.services.users.register({ email, password: 'operator password 1', role: 'admin' });
    const admin = (
      await api.app.inject({
        method: 'POST',
        url: '/v1/auth/token',
        payload: { login: email, password: 'operator password 1' },
      })
    ).json();
    const merchant = (
      await api.app.inject({
        method: 'POST',
        url: '/v1/merchants',
        headers: { authorization: `Bearer ${admin.access_token}` },
        payload: { name: 'M' },
      })
    ).json();
    const key = (
      await api.app.inject({
        method: 'POST',
        url: `/v1/merchants/${merchant.id}/api_keys`,
        headers: { authorization: `Bearer ${admin.access_token}` },
        payload: { mode: 'test' },
      })
    ).json();
    const credentials: Record<string, Record<string, string>> = {
      public: {},
      user: user.auth,
      operator: { authorization: `Bearer ${admin.access_token}` },
      merchant: { authorization: `Bearer ${key.secret}` },
    };
    // Webhook bodies are the provider's, checked by signature rather than by schema.
    const routes = (await routeTable()).filter(
      (r) => (r.schema as { body?: unknown } | undefined)?.body !== undefined && !r.config?.inbox,
    );
    expect(routes.length).toBeGreaterThan(5);
    for (const route of routes) {
      const url = route.url
        .replace(':id', merchant.id)
        .replace(':key_id', 'key_x')
        .replace(':currency', 'ETB');
      const headers = credentials[String(route.config?.access)] ?? {};
      for (const payload of [{ unexpected: 1 }, []]) {
        const res = await api.app.inject({ method: route.method as 'POST', url, headers, payload });
        expect([route.method, route.url, res.statusCode, res.json().error.code]).toEqual([
          route.method,
          route.url,
          400,
          'validation_failed',
        ]);
      }
    }
  });
});

describe('HTTP conventions', () => {
  it('serves the OpenAPI document and a docs page', async () => {
    const doc = await api.app.inject({ method: 'GET', url: '/openapi.json' });
    expect([doc.statusCode, doc.json().openapi]).toEqual([200, '3.1.0']);
    expect(Object.keys(doc.json().paths)).toContain('/v1/transfers');
    const page = await api.app.inject({ method: 'GET', url: '/docs' });
    const html =
      page.statusCode === 302
        ? await api.app.inject({ method: 'GET', url: page.headers.location as string })
        : page;
    expect(html.statusCode).toBe(200);
    expect(html.body).toContain('swagger');
  });

  it('puts a Request-Id on every response, keeping a well-formed one from the caller', async () => {
    for (const url of ['/health', '/v1/me', '/v1/nope']) {
      const res = await api.app.inject({ method: 'GET', url });
      expect(res.headers['request-id']).toMatch(/^req_[0-9a-z]{26}$/);
    }
    const traced = await api.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { 'request-id': 'trace-abc-123' },
    });
    expect(traced.headers['request-id']).toBe('trace-abc-123');
    expect(traced.json().error.request_id).toBe('trace-abc-123');
    const hostile = await api.app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'request-id': 'x\r\nSet-Cookie: a' },
    });
    expect(hostile.headers['request-id']).toMatch(/^req_/);
  });

  it.each([
    ['unknown route', { method: 'GET' as const, url: '/v1/nope' }, 404, 'route_not_found'],
    [
      'a path segment over the router limit',
      { method: 'GET' as const, url: `/v1/wallets/${'E'.repeat(120)}` },
      400,
      'validation_failed',
    ],
    ['a malformed URL', { method: 'GET' as const, url: '/v1/transfers/%E0%A4%A' }, 400, 'validation_failed'],
    [
      'broken JSON',
      {
        method: 'POST' as const,
        url: '/v1/users',
        payload: '{"email":',
        headers: { 'content-type': 'application/json' },
      },
      400,
      'validation_failed',
    ],
    [
      'wrong media type',
      {
        method: 'POST' as const,
        url: '/v1/users',
        payload: 'email=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      415,
      'unsupported_media_type',
    ],
    [
      'a body over 64 KiB',
      { method: 'POST' as const, url: '/v1/users', payload: { email: 'x'.repeat(70_000) } },
      413,
      'body_too_large',
    ],
  ])('answers %s with the error envelope and nothing internal', async (_, request, status, code) => {
    const res = await api.app.inject(request);
    expect(res.statusCode).toBe(status);
    const body = res.json();
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toMatchObject({ code, request_id: res.headers['request-id'] });
    expect(typeof body.error.type).toBe('string');
    expect(res.body).not.toMatch(/at .*\.ts:\d+|node_modules|SELECT|stack/i);
  });

  it('hides an unexpected failure behind internal_error and logs it', async () => {
    const alice = await api.register();
    const original = api.services.wallets.list.bind(api.services.wallets);
    api.services.wallets.list = async () => {
      throw new Error('relation "secret_table" does not exist at SELECT ...');
    };
    try {
      const res = await api.app.inject({ method: 'GET', url: '/v1/wallets', headers: alice.auth });
      expect([res.statusCode, res.json().error.code]).toEqual([500, 'internal_error']);
      expect(res.body).not.toContain('secret_table');
      expect(api.logs.join('\n')).toContain('secret_table');
    } finally {
      api.services.wallets.list = original;
    }
  });
});

describe('the chat simulator link', () => {
  it('is not found where no Telegram sandbox runs', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/simulator' });
    expect([res.statusCode, res.json().error.code]).toEqual([404, 'route_not_found']);
  });
});
