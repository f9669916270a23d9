import { createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { Pool } from '../db/pool.ts';
import { ChatPayError } from '../shared/errors.ts';
import { sha256Hex } from '../shared/hash.ts';
import { newId } from '../shared/ids.ts';
import type { Secret } from '../shared/secret.ts';
import type { Role, User } from './users.ts';

export interface TokenOptions {
  readonly secret: Secret;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
}

export interface TokenPair {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly refresh_token: string;
}

export interface AccessClaims {
  readonly userId: string;
  readonly role: Role;
  /** When the token stops being valid (epoch ms): long-lived connections close then. */
  readonly expiresAtMs: number;
}

const issuer = 'chatpay';
// Verified access tokens kept in memory (oldest evicted first).
const verifiedTokensMax = 10_000;
const audience = 'chatpay-api';

/**
 * Short-lived JWT access tokens (HS256) and long-lived refresh tokens that rotate on every use. A
 * refresh token is random, stored only as a hash, and belongs to a family; using one that was already
 * replaced means a copy leaked, so the whole family is revoked.
 */
export class Tokens {
  readonly #pool: Pool;
  readonly #options: TokenOptions;
  readonly #key: KeyObject;
  readonly #verified = new Map<string, AccessClaims>();

  constructor(pool: Pool, options: TokenOptions) {
    this.#pool = pool;
    this.#options = options;
    // A KeyObject made once: handing jose raw bytes makes it import the key on every sign and verify.
    this.#key = createSecretKey(Buffer.from(options.secret.reveal(), 'utf8'));
  }

  async issue(user: User, familyId = newId('rtf')): Promise<TokenPair> {
    const accessToken = await new SignJWT({ role: user.role })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setJti(newId('jti'))
      .setExpirationTime(`${this.#options.accessTokenTtlSeconds}s`)
      .sign(this.#key);
    const id = newId('rt');
    const secret = randomBytes(32).toString('base64url');
    await this.#pool.query(
      `INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
      [id, user.id, familyId, sha256Hex(secret), this.#options.refreshTokenTtlSeconds],
    );
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.#options.accessTokenTtlSeconds,
      refresh_token: `${id}.${secret}`,
    };
  }

  async verifyAccess(token: string): Promise<AccessClaims> {
    // A client reuses its token for every call until it expires: checking the signature once is
    // enough. The cache is bounded and honours expiry; a token it holds was verified by us.
    const cached = this.#verified.get(token);
    if (cached && cached.expiresAtMs > Date.now()) return cached;
    const claims = await this.#verify(token);
    if (this.#verified.size >= verifiedTokensMax)
      this.#verified.delete(this.#verified.keys().next().value as string);
    this.#verified.set(token, claims);
    return claims;
  }

  async #verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.#key, { issuer, audience, algorithms: ['HS256'] });
      if (
        typeof payload.sub !== 'string' ||
        typeof payload.role !== 'string' ||
        typeof payload.exp !== 'number'
      ) {
        throw new Error('claims');
      }
      return { userId: payload.sub, role: payload.role as Role, expiresAtMs: payload.exp * 1000 };
    } catch {
      throw new ChatPayError('unauthenticated');
    }
  }

  /** Exchanges a refresh token for a new pair; the old token can't be used again. */
  async refresh(
    refreshToken: string,
    loadUser: (id: string) => Promise<User | undefined>,
  ): Promise<TokenPair> {
    const secret = refreshToken.split('.')[1] ?? '';
    const { rows } = await this.#pool.query<{ user_id: string; family_id: string; reused: boolean }>(
      `WITH used AS (
         UPDATE refresh_tokens SET replaced_at = now()
          WHERE token_hash = $1 AND replaced_at IS NULL AND revoked_at IS NULL AND expires_at > now()
          RETURNING user_id, family_id, false AS reused
       )
       SELECT * FROM used
       UNION ALL
       SELECT user_id, family_id, true FROM refresh_tokens
        WHERE token_hash = $1 AND replaced_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM used)`,
      [sha256Hex(secret)],
    );
    const row = rows[0];
    if (!row) throw new ChatPayError('refresh_token_invalid');
    if (row.reused) {
      await this.#revokeFamily(row.family_id);
      throw new ChatPayError('refresh_token_invalid');
    }
    const user = await loadUser(row.user_id);
    if (!user) throw new ChatPayError('refresh_token_invalid');
    return this.issue(user, row.family_id);
  }

  /** Signs out: the refresh token's whole family stops working. */
  async revoke(refreshToken: string): Promise<void> {
    const secret = refreshToken.split('.')[1] ?? '';
    const { rows } = await this.#pool.query<{ family_id: string }>(
      'SELECT family_id FROM refresh_tokens WHERE token_hash = $1',
      [sha256Hex(secret)],
    );
    if (rows[0]) await this.#revokeFamily(rows[0].family_id);
  }

  async #revokeFamily(familyId: string): Promise<void> {
    await this.#pool.query(
      'UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL',
      [familyId],
    );
  }
}
