/**
 * Operators' console sessions: password, then a TOTP code (enrolled at the first sign-in), then an
 * opaque session token kept in an HttpOnly cookie. Only hashes of tokens and challenges are stored,
 * and TOTP seeds only sealed (src/shared/sealed.ts), so a copy of the database signs nobody in.
 * Failed attempts are counted per email and per IP, and sign-in stops for a while after too many.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Pool } from '../db/pool.ts';
import { ChatPayError, isChatPayError } from '../shared/errors.ts';
import { sha256Hex } from '../shared/hash.ts';
import { type SecretBox, sealingContext } from '../shared/sealed.ts';
import { normalizeEmail } from './contacts.ts';
import { newTotpSecret, totpEnrolment, totpStep } from './totp.ts';
import { operatorRoles, type Role, type Users } from './users.ts';

export interface ConsoleSessionOptions {
  /** Without a request for this long, a session ends. */
  readonly idleSeconds?: number;
  /** A session ends this long after sign-in, however busy. */
  readonly absoluteSeconds?: number;
  readonly challengeSeconds?: number;
  /** Failed attempts per email within the window before sign-in is refused for that email. */
  readonly failuresPerEmailMax?: number;
  /** Per IP: higher, so that one office behind one address isn't locked out by one person. */
  readonly failuresPerIpMax?: number;
  readonly failuresWindowSeconds?: number;
}

export type SignInStep =
  | { readonly step: 'totp'; readonly challenge: string }
  | {
      readonly step: 'enroll';
      readonly challenge: string;
      readonly secret: string;
      readonly otpauthUrl: string;
      readonly qrSvg: string;
    };

export interface ConsoleSession {
  readonly userId: string;
  readonly email: string;
  readonly role: Role;
  readonly csrfToken: string;
  readonly expiresAt: Date;
}

const lastSeenWriteEverySeconds = 60;

const token = () => randomBytes(32).toString('base64url');

/**
 * A session's CSRF token, derived from its cookie's value rather than stored: the database holds
 * only the session token's hash, so a copy of it (a backup, a read-only leak) yields no CSRF token to
 * forge an operator's request with. The page gets it from `GET /v1/console/session`, which the
 * cookie authenticates; another origin can read neither.
 */
export function csrfTokenOf(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('chatpay console csrf v1').digest('base64url');
}

export class ConsoleSessions {
  readonly #pool: Pool;
  readonly #users: Users;
  readonly #secrets: SecretBox;
  readonly idleSeconds: number;
  readonly absoluteSeconds: number;
  readonly #challengeSeconds: number;
  readonly #perEmailMax: number;
  readonly #perIpMax: number;
  readonly #windowSeconds: number;

  constructor(pool: Pool, users: Users, secrets: SecretBox, options: ConsoleSessionOptions = {}) {
    this.#pool = pool;
    this.#users = users;
    this.#secrets = secrets;
    this.idleSeconds = options.idleSeconds ?? 30 * 60;
    this.absoluteSeconds = options.absoluteSeconds ?? 12 * 3600;
    this.#challengeSeconds = options.challengeSeconds ?? 5 * 60;
    this.#perEmailMax = options.failuresPerEmailMax ?? 5;
    this.#perIpMax = options.failuresPerIpMax ?? 20;
    this.#windowSeconds = options.failuresWindowSeconds ?? 15 * 60;
  }

  /** Step one: the password. Answers with the TOTP step, or enrolment at the first sign-in. */
  async start(emailInput: string, password: string, ip: string): Promise<SignInStep> {
    const email = normalizeEmail(emailInput);
    await this.#refuseIfThrottled(email, ip);
    let user: Awaited<ReturnType<Users['authenticate']>>;
    try {
      user = await this.#users.authenticate(email, password);
      // A customer's password never opens the console; say so no differently from a wrong password.
      if (!operatorRoles.includes(user.role)) throw new ChatPayError('invalid_credentials');
    } catch (error) {
      if (isChatPayError(error, 'invalid_credentials')) await this.#recordFailure(email, ip);
      throw error;
    }
    const challenge = token();
    const { rows } = await this.#pool.query<{ totp_secret: string | null }>(
      'SELECT totp_secret FROM users WHERE id = $1',
      [user.id],
    );
    const enrolling = rows[0]?.totp_secret ? null : newTotpSecret();
    await this.#pool.query(
      `INSERT INTO console_challenges (token_hash, user_id, enrolling_secret, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
      [
        sha256Hex(challenge),
        user.id,
        enrolling === null ? null : this.#secrets.seal(enrolling, sealingContext.totp(user.id)),
        this.#challengeSeconds,
      ],
    );
    if (!enrolling) return { step: 'totp', challenge };
    const { otpauthUrl, qrSvg } = await totpEnrolment(enrolling, email);
    return { step: 'enroll', challenge, secret: enrolling, otpauthUrl, qrSvg };
  }

  /**
   * Step two: the code. A wrong code counts as a failed sign-in but keeps the challenge (a typo
   * shouldn't cost the password step); the right one ends the challenge and opens a session.
   */
  async complete(
    challenge: string,
    code: string,
    client: { ip: string; userAgent?: string | undefined },
  ): Promise<{ token: string; session: ConsoleSession }> {
    const found = await this.#pool.query<{
      user_id: string;
      email: string;
      enrolling_secret: string | null;
      totp_secret: string | null;
    }>(
      `SELECT c.user_id, u.email, c.enrolling_secret, u.totp_secret
         FROM console_challenges c JOIN users u ON u.id = c.user_id
        WHERE c.token_hash = $1 AND c.used_at IS NULL AND c.expires_at > now()`,
      [sha256Hex(challenge)],
    );
    const row = found.rows[0];
    if (!row) throw new ChatPayError('sign_in_expired');
    await this.#refuseIfThrottled(row.email, client.ip);
    const sealed = row.enrolling_secret ?? row.totp_secret;
    const secret = sealed ? this.#secrets.open(sealed, sealingContext.totp(row.user_id)) : undefined;
    const step = secret ? totpStep(secret, code) : undefined;
    if (step === undefined) {
      await this.#recordFailure(row.email, client.ip);
      throw new ChatPayError('totp_invalid', { param: 'code' });
    }
    return this.#open(challenge, row.user_id, row.enrolling_secret, step, client);
  }

  async #open(
    challenge: string,
    userId: string,
    enrolling: string | null,
    step: number,
    client: { ip: string; userAgent?: string | undefined },
  ): Promise<{ token: string; session: ConsoleSession }> {
    const sessionToken = token();
    const csrfToken = csrfTokenOf(sessionToken);
    // One statement: the challenge is used once, the step moves forward only (a code works once,
    // even in two racing requests), the enrolled secret is kept only if none was set meanwhile.
    const { rows } = await this.#pool.query<{ email: string; role: Role; expires_at: Date }>(
      `WITH used AS (
         UPDATE console_challenges SET used_at = now()
          WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id
       ), stepped AS (
         UPDATE users u SET totp_last_step = $3, totp_secret = coalesce(u.totp_secret, $4)
           FROM used
          WHERE u.id = used.user_id AND u.id = $2
            AND (u.totp_last_step IS NULL OR u.totp_last_step < $3)
            AND ($4::text IS NULL OR u.totp_secret IS NULL)
          RETURNING u.id, u.email, u.role
       )
       INSERT INTO console_sessions (token_hash, user_id, expires_at, ip, user_agent)
       SELECT $5, stepped.id, now() + make_interval(secs => $6), $7, $8 FROM stepped
       RETURNING (SELECT email FROM stepped) AS email, (SELECT role FROM stepped) AS role, expires_at`,
      [
        sha256Hex(challenge),
        userId,
        step,
        enrolling,
        sha256Hex(sessionToken),
        this.absoluteSeconds,
        client.ip,
        client.userAgent?.slice(0, 500) ?? null,
      ],
    );
    const opened = rows[0];
    if (!opened) throw new ChatPayError('totp_invalid', { param: 'code' });
    return {
      token: sessionToken,
      session: { userId, email: opened.email, role: opened.role, csrfToken, expiresAt: opened.expires_at },
    };
  }

  /** The live session behind a cookie value, or undefined (ended, idle too long, or past 12 hours). */
  async authenticate(sessionToken: string): Promise<ConsoleSession | undefined> {
    const { rows } = await this.#pool.query<{
      user_id: string;
      email: string;
      role: Role;
      expires_at: Date;
      stale: boolean;
    }>({
      name: 'console_session_get',
      text: `SELECT s.user_id, u.email, u.role, s.expires_at,
                    s.last_seen_at < now() - make_interval(secs => $3) AS stale
               FROM console_sessions s JOIN users u ON u.id = s.user_id
              WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.expires_at > now()
                AND s.last_seen_at > now() - make_interval(secs => $2)`,
      values: [sha256Hex(sessionToken), this.idleSeconds, lastSeenWriteEverySeconds],
    });
    const row = rows[0];
    if (!row || !operatorRoles.includes(row.role)) return undefined;
    // The idle clock is kept to the minute: one write a minute per session, not one per request.
    if (row.stale) {
      await this.#pool.query('UPDATE console_sessions SET last_seen_at = now() WHERE token_hash = $1', [
        sha256Hex(sessionToken),
      ]);
    }
    return {
      userId: row.user_id,
      email: row.email,
      role: row.role,
      csrfToken: csrfTokenOf(sessionToken),
      expiresAt: row.expires_at,
    };
  }

  async end(sessionToken: string): Promise<void> {
    await this.#pool.query(
      'UPDATE console_sessions SET ended_at = now() WHERE token_hash = $1 AND ended_at IS NULL',
      [sha256Hex(sessionToken)],
    );
  }

  /** Signs an operator out everywhere (also used when an admin changes their role or resets TOTP). */
  async endAll(userId: string): Promise<number> {
    const { rowCount } = await this.#pool.query(
      'UPDATE console_sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL',
      [userId],
    );
    return rowCount ?? 0;
  }

  async #refuseIfThrottled(email: string, ip: string): Promise<void> {
    const { rows } = await this.#pool.query<{ by_email: number; by_ip: number; retry_after: number }>(
      `SELECT count(*) FILTER (WHERE email = $1)::int AS by_email,
              count(*) FILTER (WHERE ip = $2)::int AS by_ip,
              coalesce(ceil(extract(epoch FROM min(at) + make_interval(secs => $3) - now())), 0)::int AS retry_after
         FROM sign_in_failures
        WHERE (email = $1 OR ip = $2) AND at > now() - make_interval(secs => $3)`,
      [email, ip, this.#windowSeconds],
    );
    const r = rows[0];
    if (r && (r.by_email >= this.#perEmailMax || r.by_ip >= this.#perIpMax)) {
      throw new ChatPayError('sign_in_throttled', {
        details: { retryAfterSeconds: Math.max(1, r.retry_after) },
      });
    }
  }

  async #recordFailure(email: string, ip: string): Promise<void> {
    await this.#pool.query('INSERT INTO sign_in_failures (email, ip) VALUES ($1, $2)', [email, ip]);
  }
}
