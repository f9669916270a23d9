import { beforeAll, describe, expect, it } from 'vitest';
import { type TestApi, testApi } from '../helpers/api.ts';

let api: TestApi;
beforeAll(async () => {
  api = await testApi();
});

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  api.app.inject({ method: 'POST', url, payload: payload as object, headers });

describe('POST /v1/users', () => {
  it('registers with an email, lower-cased, and never returns the password', async () => {
    const res = await post('/v1/users', { email: 'Abebe@Example.COM', password: 'a long enough password' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      object: 'user',
      email: 'abebe@example.com',
      phone: null,
      role: 'user',
      pin_set: false,
    });
    expect(body.id).toMatch(/^usr_[0-9a-z]{26}$/);
    expect(res.body).not.toContain('password');
    const { rows } = await api.services.pool.query('SELECT password_hash FROM users WHERE id = $1', [
      body.id,
    ]);
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('registers with a phone number, normalised to E.164', async () => {
    const res = await post('/v1/users', { phone: '+251 91 123 4567', password: 'a long enough password' });
    expect([res.statusCode, res.json().phone]).toEqual([201, '+251911234567']);
    const again = await post('/v1/users', { phone: '+251911234567', password: 'another long password' });
    expect([again.statusCode, again.json().error.code]).toEqual([409, 'user_exists']);
  });

  it.each([
    [{ password: 'a long enough password' }, 400, 'validation_failed', 'email'],
    [{ email: 'not-an-email', password: 'a long enough password' }, 400, 'validation_failed', 'email'],
    [{ phone: '12345', password: 'a long enough password' }, 400, 'phone_invalid', 'phone'],
    [{ email: 'short@example.com', password: 'short' }, 400, 'validation_failed', 'password'],
    [
      { email: 'x@example.com', password: 'a long enough password', role: 'admin' },
      400,
      'validation_failed',
      undefined,
    ],
  ])('rejects %j', async (payload, status, code, param) => {
    const res = await post('/v1/users', payload);
    expect(res.statusCode).toBe(status);
    expect(res.json().error).toMatchObject({ code, ...(param ? { param } : {}) });
  });

  it('refuses a duplicate email whatever its case', async () => {
    await post('/v1/users', { email: 'dup@example.com', password: 'a long enough password' });
    const res = await post('/v1/users', { email: 'DUP@example.com', password: 'a long enough password' });
    expect([res.statusCode, res.json().error.code]).toEqual([409, 'user_exists']);
  });
});

describe('signing in and out', () => {
  it('issues tokens that open /v1/me', async () => {
    const user = await api.register();
    const me = await api.app.inject({ method: 'GET', url: '/v1/me', headers: user.auth });
    expect([me.statusCode, me.json().id]).toEqual([200, user.id]);
  });

  it('gives the same answer for an unknown login and a wrong password', async () => {
    const user = await api.register();
    const wrong = await post('/v1/auth/token', { login: user.email, password: 'wrong password here' });
    const unknown = await post('/v1/auth/token', {
      login: 'nobody@example.com',
      password: 'wrong password here',
    });
    expect([wrong.statusCode, wrong.json().error.code]).toEqual([401, 'invalid_credentials']);
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([401, 'invalid_credentials']);
    expect(wrong.json().error.message).toBe(unknown.json().error.message);
  });

  it('rotates refresh tokens and revokes the family when an old one is replayed', async () => {
    const user = await api.register();
    const first = await post('/v1/auth/refresh', { refresh_token: user.refreshToken });
    expect(first.statusCode).toBe(200);
    const next = first.json().refresh_token;
    expect(next).not.toBe(user.refreshToken);
    // The old token again: theft suspected, so even the newest token of the family dies.
    const replay = await post('/v1/auth/refresh', { refresh_token: user.refreshToken });
    expect([replay.statusCode, replay.json().error.code]).toEqual([401, 'refresh_token_invalid']);
    const after = await post('/v1/auth/refresh', { refresh_token: next });
    expect(after.statusCode).toBe(401);
  });

  it('logs out: the refresh token stops working', async () => {
    const user = await api.register();
    expect((await post('/v1/auth/logout', { refresh_token: user.refreshToken })).statusCode).toBe(204);
    expect((await post('/v1/auth/refresh', { refresh_token: user.refreshToken })).statusCode).toBe(401);
  });

  it.each([
    ['no header', {}],
    ['not bearer', { authorization: 'Basic abc' }],
    ['garbage', { authorization: 'Bearer not.a.jwt' }],
    [
      'a token signed with another key',
      { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3JfeCIsInJvbGUiOiJhZG1pbiJ9.c2lnbmF0dXJl' },
    ],
  ])('refuses /v1/me with %s', async (_, headers) => {
    const res = await api.app.inject({ method: 'GET', url: '/v1/me', headers });
    expect([res.statusCode, res.json().error.code]).toEqual([401, 'unauthenticated']);
  });

  it('refuses a malformed refresh token', async () => {
    const res = await post('/v1/auth/refresh', { refresh_token: 'rt_nope.nope' });
    expect([res.statusCode, res.json().error.code]).toEqual([401, 'refresh_token_invalid']);
  });
});

describe('PUT /v1/me/pin', () => {
  it('sets a PIN, and changing it needs the current one', async () => {
    const user = await api.register();
    const put = (payload: object) =>
      api.app.inject({ method: 'PUT', url: '/v1/me/pin', headers: user.auth, payload });
    expect((await put({ pin: '12a4' })).json().error.code).toBe('pin_invalid_format');
    expect((await put({ pin: '123' })).json().error.code).toBe('pin_invalid_format');
    expect((await put({ pin: '1234' })).statusCode).toBe(204);
    expect((await api.app.inject({ method: 'GET', url: '/v1/me', headers: user.auth })).json().pin_set).toBe(
      true,
    );
    expect((await put({ pin: '5678' })).json().error.code).toBe('pin_required');
    expect((await put({ pin: '5678', current_pin: '0000' })).json().error.code).toBe('pin_incorrect');
    expect((await put({ pin: '5678', current_pin: '1234' })).statusCode).toBe(204);
  });
});
