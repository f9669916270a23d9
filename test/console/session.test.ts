import { beforeAll, describe, expect, it } from 'vitest';
import { sealStoredSecrets } from '../../src/db/seal-stored.ts';
import { totpCode } from '../../src/users/index.ts';
import { type TestApi, testApi, testSecrets } from '../helpers/api.ts';

let api: TestApi;

beforeAll(async () => {
  api = await testApi();
});

let counter = 0;
async function operator(role: 'admin' | 'finance' | 'support' | 'viewer' | 'user' = 'admin') {
  counter += 1;
  const email = `op${counter}-${Date.now()}@console.test`;
  const password = 'correct horse battery';
  const user = await api.services.users.register({ email, password, role });
  return { id: user.id, email, password };
}

async function signIn(email: string, password: string, ip = '10.0.0.1') {
  return api.app.inject({
    method: 'POST',
    url: '/v1/console/sign-in',
    payload: { email, password },
    remoteAddress: ip,
  });
}

async function totp(challenge: string, code: string, ip = '10.0.0.1') {
  return api.app.inject({
    method: 'POST',
    url: '/v1/console/sign-in/totp',
    payload: { challenge, code },
    remoteAddress: ip,
  });
}

/** Enrols and signs in: the cookie, the CSRF token and the enrolled secret. */
async function session(role: 'admin' | 'finance' | 'support' | 'viewer' = 'admin') {
  const op = await operator(role);
  const first = (await signIn(op.email, op.password)).json();
  expect(first.step).toBe('enroll');
  const code = totpCode(first.secret);
  const done = await totp(first.challenge, code);
  expect(done.statusCode).toBe(200);
  const cookie = done.cookies.find((c) => c.name === 'chatpay_console');
  if (!cookie) throw new Error('no session cookie');
  const csrf = done.json().csrf_token as string;
  return { ...op, secret: first.secret as string, code, cookie: cookie.value, csrf };
}

const withCookie = (cookie: string) => ({ cookie: `chatpay_console=${cookie}` });

describe('console sign-in', () => {
  it('enrols TOTP at the first sign-in with a QR code, then sets an HttpOnly SameSite cookie', async () => {
    const op = await operator();
    const first = await signIn(op.email, op.password);
    expect(first.statusCode).toBe(200);
    const step = first.json();
    expect(step).toMatchObject({ step: 'enroll' });
    expect(step.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(step.otpauth_url).toMatch(/^otpauth:\/\/totp\/ChatPay:.*secret=/);
    expect(step.qr_svg).toMatch(/^<svg/);
    const done = await totp(step.challenge, totpCode(step.secret));
    expect(done.statusCode).toBe(200);
    const body = done.json();
    expect(body.operator).toEqual({ id: op.id, email: op.email, role: 'admin' });
    expect(body.idle_timeout_seconds).toBe(1800);
    const cookie = done.cookies.find((c) => c.name === 'chatpay_console');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie?.secure).toBeFalsy();
    const expiresInMs = new Date(body.expires_at).getTime() - Date.now();
    expect(expiresInMs).toBeGreaterThan(11.9 * 3600_000);
    expect(expiresInMs).toBeLessThanOrEqual(12 * 3600_000);
    // The secret is the operator's now: the next sign-in asks only for a code.
    expect((await signIn(op.email, op.password)).json()).toMatchObject({ step: 'totp' });
  });

  it('keeps the session token, its CSRF token and the TOTP secret out of the database in usable form', async () => {
    const s = await session();
    const { rows } = await api.database.pool.query('SELECT * FROM console_sessions');
    expect(rows.some((r) => r.token_hash === s.cookie)).toBe(false);
    expect(rows.some((r) => r.token_hash.length === 64)).toBe(true);
    // The CSRF token is derived from the cookie's value, not stored: no column of any row holds it.
    expect(s.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(rows)).not.toContain(s.csrf);
    // …and the same session, authenticated again, gets the same token.
    const again = await api.app.inject({
      method: 'GET',
      url: '/v1/console/session',
      headers: withCookie(s.cookie),
    });
    expect(again.json().csrf_token).toBe(s.csrf);
    // The TOTP seed is sealed (SECRETS_KEY), in the user's row and in the enrolment's challenge.
    const seeds = await api.database.pool.query(
      `SELECT u.totp_secret, c.enrolling_secret FROM users u JOIN console_challenges c ON c.user_id = u.id
        WHERE u.id = $1`,
      [s.id],
    );
    expect(seeds.rows).toHaveLength(1);
    for (const stored of Object.values(seeds.rows[0] as Record<string, string>)) {
      expect(stored).toMatch(/^sealed:v1:[0-9a-f]{8}:/);
      expect(stored).not.toContain(s.secret);
    }
  });

  it('signs in with a seed stored before sealing, and `chatpay migrate` seals it in place', async () => {
    const s = await session();
    await api.database.pool.query('UPDATE users SET totp_secret = $2 WHERE id = $1', [s.id, s.secret]);
    const again = (await signIn(s.email, s.password)).json();
    expect((await totp(again.challenge, totpCode(s.secret, Date.now() + 30_000))).statusCode).toBe(200);

    expect(await sealStoredSecrets(api.database.pool, testSecrets)).toBe(1);
    expect(await sealStoredSecrets(api.database.pool, testSecrets)).toBe(0); // nothing left in the clear
    const { rows } = await api.database.pool.query('SELECT totp_secret FROM users WHERE id = $1', [s.id]);
    expect(rows[0].totp_secret).toMatch(/^sealed:v1:/);
    // Sealed, the same seed still signs in. Codes work once per step: forget the steps used, as if a
    // minute had passed.
    await api.database.pool.query('UPDATE users SET totp_last_step = NULL WHERE id = $1', [s.id]);
    const third = (await signIn(s.email, s.password)).json();
    expect((await totp(third.challenge, totpCode(s.secret))).statusCode).toBe(200);
  });

  it('accepts each code once, one step of drift, and no more', async () => {
    const s = await session();
    const again = (await signIn(s.email, s.password)).json();
    // The code that opened the first session can't open a second.
    const replay = await totp(again.challenge, s.code);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error.code).toBe('totp_invalid');
    // Two steps old: refused.
    const third = (await signIn(s.email, s.password)).json();
    const stale = await totp(third.challenge, totpCode(s.secret, Date.now() - 65_000));
    expect(stale.json().error.code).toBe('totp_invalid');
    // The next step (a phone clock 30 s ahead) is accepted.
    const ahead = await totp(third.challenge, totpCode(s.secret, Date.now() + 30_000));
    expect(ahead.statusCode).toBe(200);
    // The challenge is single use.
    const used = await totp(third.challenge, totpCode(s.secret, Date.now() + 30_000));
    expect(used.json().error.code).toBe('sign_in_expired');
  });

  it('refuses wrong passwords, customers, and malformed input with stable codes', async () => {
    const op = await operator();
    const wrong = await signIn(op.email, 'not the password', '10.0.1.1');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('invalid_credentials');
    const customer = await operator('user');
    const refused = await signIn(customer.email, customer.password, '10.0.1.2');
    expect(refused.json().error.code).toBe('invalid_credentials');
    const bad = await api.app.inject({ method: 'POST', url: '/v1/console/sign-in', payload: { email: 'x' } });
    expect(bad.statusCode).toBe(400);
    const badEmail = await signIn('not an email', 'x', '10.0.1.3');
    expect(badEmail.json().error).toMatchObject({ code: 'validation_failed', param: 'email' });
    const noChallenge = await totp('nonsense', '123456');
    expect(noChallenge.json().error.code).toBe('sign_in_expired');
  });

  it('throttles an email after five failures, even with the right password, and says when to retry', async () => {
    const op = await operator();
    for (let i = 0; i < 5; i += 1) {
      expect((await signIn(op.email, `wrong ${i}`, `10.0.2.${i}`)).statusCode).toBe(401);
    }
    const blocked = await signIn(op.email, op.password, '10.0.2.99');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().error.code).toBe('sign_in_throttled');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(900);
    // Wrong codes count too: a fresh operator, five bad codes, then the right one is refused.
    const other = await operator();
    const step = (await signIn(other.email, other.password, '10.0.3.1')).json();
    for (let i = 0; i < 5; i += 1) await totp(step.challenge, '000000', '10.0.3.1');
    const late = await totp(step.challenge, totpCode(step.secret), '10.0.3.1');
    expect(late.json().error.code).toBe('sign_in_throttled');
  });

  it('throttles an address after twenty failures across emails', async () => {
    for (let i = 0; i < 20; i += 1) await signIn(`nobody${i}@console.test`, 'x', '10.0.4.1');
    const op = await operator();
    expect((await signIn(op.email, op.password, '10.0.4.1')).json().error.code).toBe('sign_in_throttled');
    expect((await signIn(op.email, op.password, '10.0.4.2')).statusCode).toBe(200);
  });
});

describe('console session', () => {
  it('opens operator routes with the cookie and refuses changes without the CSRF token', async () => {
    const s = await session('finance');
    const read = await api.app.inject({
      method: 'GET',
      url: '/v1/operator/payments',
      headers: withCookie(s.cookie),
    });
    expect(read.statusCode).toBe(200);
    const me = await api.app.inject({
      method: 'GET',
      url: '/v1/console/session',
      headers: withCookie(s.cookie),
    });
    expect(me.json().operator.role).toBe('finance');
    const noCsrf = await api.app.inject({
      method: 'POST',
      url: '/v1/console/sign-out',
      headers: withCookie(s.cookie),
    });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().error.code).toBe('csrf_token_invalid');
    const other = await session();
    const wrongCsrf = await api.app.inject({
      method: 'POST',
      url: '/v1/console/sign-out',
      headers: { ...withCookie(s.cookie), 'x-csrf-token': other.csrf },
    });
    expect(wrongCsrf.json().error.code).toBe('csrf_token_invalid');
    // Roles still apply: finance may not create merchants.
    const merchant = await api.app.inject({
      method: 'POST',
      url: '/v1/merchants',
      headers: { ...withCookie(s.cookie), 'x-csrf-token': s.csrf },
      payload: { name: 'Shop' },
    });
    expect(merchant.statusCode).toBe(403);
    const out = await api.app.inject({
      method: 'POST',
      url: '/v1/console/sign-out',
      headers: { ...withCookie(s.cookie), 'x-csrf-token': s.csrf },
    });
    expect(out.statusCode).toBe(204);
    const after = await api.app.inject({
      method: 'GET',
      url: '/v1/operator/payments',
      headers: withCookie(s.cookie),
    });
    expect(after.statusCode).toBe(401);
  });

  it('refuses a customer session cookie value, garbage, and customers’ bearer tokens on operator routes', async () => {
    const garbage = await api.app.inject({
      method: 'GET',
      url: '/v1/console/session',
      headers: withCookie('x'),
    });
    expect(garbage.statusCode).toBe(401);
    const user = await api.register();
    const asUser = await api.app.inject({ method: 'GET', url: '/v1/operator/payments', headers: user.auth });
    expect(asUser.statusCode).toBe(403);
  });

  it('ends after 30 idle minutes and 12 hours after sign-in', async () => {
    const idle = await session();
    await api.database.pool.query(
      "UPDATE console_sessions SET last_seen_at = now() - interval '31 minutes' WHERE user_id = $1",
      [idle.id],
    );
    const idleRead = await api.app.inject({
      method: 'GET',
      url: '/v1/console/session',
      headers: withCookie(idle.cookie),
    });
    expect(idleRead.statusCode).toBe(401);
    const old = await session();
    await api.database.pool.query(
      "UPDATE console_sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1",
      [old.id],
    );
    expect(
      (await api.app.inject({ method: 'GET', url: '/v1/console/session', headers: withCookie(old.cookie) }))
        .statusCode,
    ).toBe(401);
    // Activity moves the idle clock: 29 minutes idle, a request, and it is alive again for 30 more.
    const busy = await session();
    await api.database.pool.query(
      "UPDATE console_sessions SET last_seen_at = now() - interval '29 minutes' WHERE user_id = $1",
      [busy.id],
    );
    expect(
      (await api.app.inject({ method: 'GET', url: '/v1/console/session', headers: withCookie(busy.cookie) }))
        .statusCode,
    ).toBe(200);
    const { rows } = await api.database.pool.query(
      "SELECT last_seen_at > now() - interval '1 minute' AS fresh FROM console_sessions WHERE user_id = $1",
      [busy.id],
    );
    expect(rows[0].fresh).toBe(true);
  });

  it('signs out everywhere', async () => {
    const a = await session();
    // A second session of the same operator (a code from the next step, since each is used once).
    const step = (await signIn(a.email, a.password)).json();
    const second = await totp(step.challenge, totpCode(a.secret, Date.now() + 30_000));
    const b = second.cookies.find((c) => c.name === 'chatpay_console')?.value ?? '';
    const out = await api.app.inject({
      method: 'POST',
      url: '/v1/console/sign-out-everywhere',
      headers: { ...withCookie(a.cookie), 'x-csrf-token': a.csrf },
    });
    expect(out.statusCode).toBe(204);
    for (const cookie of [a.cookie, b]) {
      const read = await api.app.inject({
        method: 'GET',
        url: '/v1/console/session',
        headers: withCookie(cookie),
      });
      expect(read.statusCode).toBe(401);
    }
  });

  it('marks the cookie Secure in production', async () => {
    const secure = await testApi({ database: api.database, secureCookies: true });
    const op = await operator();
    const step = (
      await secure.app.inject({
        method: 'POST',
        url: '/v1/console/sign-in',
        payload: { email: op.email, password: op.password },
      })
    ).json();
    const done = await secure.app.inject({
      method: 'POST',
      url: '/v1/console/sign-in/totp',
      payload: { challenge: step.challenge, code: totpCode(step.secret) },
    });
    expect(done.cookies.find((c) => c.name === 'chatpay_console')?.secure).toBe(true);
  });
});
