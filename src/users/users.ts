import { inTransaction, type Pool, type PoolClient } from '../db/pool.ts';
import { ChatPayError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { looksLikePhone, normalizeEmail, normalizePhone } from './contacts.ts';
import { hashSecret, verifyDecoy, verifySecret } from './passwords.ts';

export const roles = ['user', 'admin', 'finance', 'support', 'viewer'] as const;
export type Role = (typeof roles)[number];
export const operatorRoles: readonly Role[] = ['admin', 'finance', 'support', 'viewer'];

export interface User {
  readonly id: string;
  readonly email: string | null;
  readonly phone: string | null;
  /** A chat channel vouched the number is theirs; an unproven one receives nothing by number. */
  readonly phoneVerified: boolean;
  readonly role: Role;
  readonly pinSet: boolean;
  readonly createdAt: Date;
}

interface UserRow {
  id: string;
  email: string | null;
  phone: string | null;
  role: Role;
  pin_hash: string | null;
  password_hash: string | null;
  /** When a chat channel vouched the number is theirs (migration 0019); null: typed, unproven. */
  phone_verified_at: Date | null;
  language: string;
  created_at: Date;
}

const passwordLengthMin = 10;
const passwordLengthMax = 128;

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    phone: row.phone,
    phoneVerified: row.phone !== null && row.phone_verified_at !== null,
    role: row.role,
    pinSet: row.pin_hash !== null,
    createdAt: row.created_at,
  };
}

export interface RegisterInput {
  readonly email?: string | undefined;
  readonly phone?: string | undefined;
  readonly password: string;
  readonly role?: Role;
}

export class Users {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async register(input: RegisterInput): Promise<User> {
    if (input.email === undefined && input.phone === undefined) {
      throw new ChatPayError('validation_failed', {
        param: 'email',
        message: 'Give an email or a phone number.',
      });
    }
    const email = input.email === undefined ? null : normalizeEmail(input.email);
    const phone = input.phone === undefined ? null : normalizePhone(input.phone);
    if (input.password.length < passwordLengthMin || input.password.length > passwordLengthMax) {
      throw new ChatPayError('password_too_weak', { param: 'password' });
    }
    const passwordHash = await hashSecret(input.password);
    try {
      const { rows } = await this.#pool.query<UserRow>(
        `INSERT INTO users (id, email, phone, password_hash, role) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [newId('usr'), email, phone, passwordHash, input.role ?? 'user'],
      );
      return toUser(rows[0] as UserRow);
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw new ChatPayError('user_exists');
      throw error;
    }
  }

  async get(id: string): Promise<User | undefined> {
    const { rows } = await this.#pool.query<UserRow>({
      name: 'users_get',
      text: 'SELECT * FROM users WHERE id = $1',
      values: [id],
    });
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  /** Signs in with an email or phone and a password; the same error, in the same time, for both failures. */
  async authenticate(login: string, password: string): Promise<User> {
    const row = await this.#findByLogin(login);
    // Chat-only people have no password: they fail like an unknown login, in the same time.
    const ok = row?.password_hash
      ? await verifySecret(row.password_hash, password)
      : await verifyDecoy(password);
    if (!row || !ok) throw new ChatPayError('invalid_credentials');
    return toUser(row);
  }

  async #findByLogin(login: string): Promise<UserRow | undefined> {
    let column: 'email' | 'phone';
    let value: string;
    try {
      if (login.includes('@')) [column, value] = ['email', normalizeEmail(login)];
      else [column, value] = ['phone', normalizePhone(login)];
    } catch {
      return undefined;
    }
    const { rows } = await this.#pool.query<UserRow>(`SELECT * FROM users WHERE ${column} = $1`, [value]);
    return rows[0];
  }

  /**
   * Finds the user a payment is addressed to: a user id (`usr_…`), a Telegram username (`@name`), a
   * phone number or an email address.
   */
  async resolveRecipient(to: string): Promise<User | undefined> {
    const text = to.trim();
    if (text.startsWith('usr_')) return this.get(text);
    if (text.startsWith('@')) {
      // Named, so each connection plans it once: planning this join cost 0.24 ms, running it 0.03 ms.
      const { rows } = await this.#pool.query<UserRow>({
        name: 'users_by_telegram_username',
        text: `SELECT u.* FROM user_identities i JOIN users u ON u.id = i.user_id
                WHERE i.provider = 'telegram' AND lower(i.username) = lower($1)`,
        values: [text.slice(1)],
      });
      return rows[0] ? toUser(rows[0]) : undefined;
    }
    if (text.includes('@')) {
      const row = await this.#findByLogin(text);
      return row ? toUser(row) : undefined;
    }
    if (looksLikePhone(text)) {
      // Only a number a chat channel vouched is the person's: anyone can type one into a registration.
      const row = await this.#findByLogin(text);
      return row?.phone_verified_at ? toUser(row) : undefined;
    }
    return undefined;
  }

  /**
   * The person behind a chat identity, registering them on first contact (no password: the chat is
   * their credential; they can add email and password later). Safe to call concurrently: two first
   * messages from one person make one user.
   */
  async fromChat(
    provider: 'telegram' | 'whatsapp',
    externalId: string,
    profile: { username?: string | undefined; language?: string | undefined },
  ): Promise<{ user: User; language: string; created: boolean }> {
    const found = await byIdentity(this.#pool, provider, externalId);
    if (found) {
      if ((found.identity_username ?? null) !== (profile.username ?? null)) {
        await this.#takeUsername(provider, externalId, profile.username ?? null);
      }
      return { user: toUser(found), language: found.language, created: false };
    }
    const language = ['en', 'am', 'sw'].includes(profile.language ?? '')
      ? (profile.language as string)
      : 'en';
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `identity:${provider}:${externalId}`,
      ]);
      const again = await byIdentity(client, provider, externalId);
      if (again) {
        await client.query('COMMIT');
        return { user: toUser(again), language: again.language, created: false };
      }
      const { rows } = await client.query<UserRow>(
        `INSERT INTO users (id, language) VALUES ($1, $2) RETURNING *`,
        [newId('usr'), language],
      );
      const user = rows[0] as UserRow;
      // The update's username is Telegram's word on who has it now: another account's copy is stale.
      await releaseUsername(client, provider, externalId, profile.username ?? null);
      await client.query(
        `INSERT INTO user_identities (provider, external_id, user_id, username) VALUES ($1, $2, $3, $4)`,
        [provider, externalId, user.id, profile.username ?? null],
      );
      await client.query('COMMIT');
      return { user: toUser(user), language, created: true };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** The person behind a chat identity, if they have written to us; changes nothing (unlike fromChat). */
  async byChat(provider: 'telegram' | 'whatsapp', externalId: string): Promise<User | undefined> {
    const row = await byIdentity(this.#pool, provider, externalId);
    return row ? toUser(row) : undefined;
  }

  /**
   * Keeps a chat identity's username the one its latest update carried. Usernames move between people
   * on Telegram: a name kept from an earlier update would send `@name` money to whoever held it
   * before (someone could take a name, start the bot, then hand the name on). Another account's copy
   * of the name is stale and is cleared first (the unique index is checked row by row).
   */
  async #takeUsername(provider: string, externalId: string, username: string | null): Promise<void> {
    await inTransaction(this.#pool, async (client) => {
      await releaseUsername(client, provider, externalId, username);
      await client.query(
        'UPDATE user_identities SET username = $3 WHERE provider = $1 AND external_id = $2',
        [provider, externalId, username],
      );
    });
  }

  async setLanguage(userId: string, language: string): Promise<void> {
    await this.#pool.query('UPDATE users SET language = $2 WHERE id = $1', [userId, language]);
  }

  /** The chat identities of a user (where to notify them). */
  async identities(
    userId: string,
  ): Promise<
    { provider: 'telegram' | 'whatsapp'; externalId: string; username: string | null; language: string }[]
  > {
    const { rows } = await this.#pool.query<{
      provider: 'telegram' | 'whatsapp';
      external_id: string;
      username: string | null;
      language: string;
    }>(
      `SELECT i.provider, i.external_id, i.username, u.language FROM user_identities i JOIN users u ON u.id = i.user_id
        WHERE i.user_id = $1`,
      [userId],
    );
    return rows.map((r) => ({
      provider: r.provider,
      externalId: r.external_id,
      username: r.username,
      language: r.language,
    }));
  }

  /** Links a chat identity (Telegram user id and username, WhatsApp number) to a user. */
  async linkIdentity(
    userId: string,
    provider: 'telegram' | 'whatsapp',
    externalId: string,
    username?: string,
  ): Promise<void> {
    await this.#pool.query(
      `INSERT INTO user_identities (provider, external_id, user_id, username) VALUES ($1, $2, $3, $4)
       ON CONFLICT (provider, external_id) DO UPDATE SET username = EXCLUDED.username
       WHERE user_identities.user_id = EXCLUDED.user_id`,
      [provider, externalId, userId, username ?? null],
    );
  }
}

/** The user behind a chat identity, on the pool or inside the caller's transaction. */
async function byIdentity(
  db: Pool | PoolClient,
  provider: string,
  externalId: string,
): Promise<(UserRow & { identity_username: string | null }) | undefined> {
  const { rows } = await db.query<UserRow & { identity_username: string | null }>({
    name: 'users_by_identity',
    text: `SELECT u.*, i.username AS identity_username FROM user_identities i JOIN users u ON u.id = i.user_id
            WHERE i.provider = $1 AND i.external_id = $2`,
    values: [provider, externalId],
  });
  return rows[0];
}

/** Clears `username` from every other identity of the provider (their copy is out of date). */
async function releaseUsername(
  client: PoolClient,
  provider: string,
  externalId: string,
  username: string | null,
): Promise<void> {
  if (username === null) return;
  // Takers of one name queue here until the transaction ends, so the later one sees the earlier's
  // committed copy and clears it; without the lock both cleared nothing, and the later one's write
  // failed on the unique index (the update was then handled again from the start).
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
    `username:${provider}:${username.toLowerCase()}`,
  ]);
  await client.query(
    `UPDATE user_identities SET username = NULL
      WHERE provider = $1 AND lower(username) = lower($3) AND external_id <> $2`,
    [provider, externalId, username],
  );
}
