import { type Kysely, sql } from 'kysely';

/**
 * People and their sign-in: users (end users and operators, told apart by role), linked chat
 * identities, rotating refresh tokens, and the API's idempotency keys.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE users (
      id text PRIMARY KEY,
      email text,
      phone text,
      password_hash text NOT NULL,
      role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin', 'finance', 'support', 'viewer')),
      pin_hash text,
      pin_failed_attempts integer NOT NULL DEFAULT 0,
      pin_locked_until timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT users_contact CHECK (email IS NOT NULL OR phone IS NOT NULL),
      CONSTRAINT users_email_lower CHECK (email = lower(email)),
      CONSTRAINT users_phone_e164 CHECK (phone ~ '^\\+[1-9][0-9]{6,14}$')
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX users_email_key ON users (email) WHERE email IS NOT NULL`.execute(db);
  await sql`CREATE UNIQUE INDEX users_phone_key ON users (phone) WHERE phone IS NOT NULL`.execute(db);

  await sql`
    CREATE TABLE user_identities (
      provider text NOT NULL CHECK (provider IN ('telegram', 'whatsapp')),
      external_id text NOT NULL,
      user_id text NOT NULL REFERENCES users (id),
      username text,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (provider, external_id)
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX user_identities_username_key ON user_identities (provider, lower(username)) WHERE username IS NOT NULL`.execute(
    db,
  );
  await sql`CREATE INDEX user_identities_user_idx ON user_identities (user_id)`.execute(db);

  // A refresh token is stored only as a hash. Each use replaces it with a new one in the same family;
  // presenting a replaced token again means it was stolen, and the whole family is revoked.
  await sql`
    CREATE TABLE refresh_tokens (
      id text PRIMARY KEY,
      user_id text NOT NULL REFERENCES users (id),
      family_id text NOT NULL,
      token_hash text NOT NULL UNIQUE,
      expires_at timestamptz NOT NULL,
      replaced_at timestamptz,
      revoked_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)`.execute(db);

  await sql`
    CREATE TABLE idempotency_keys (
      principal text NOT NULL,
      key text NOT NULL,
      request_hash text NOT NULL,
      state text NOT NULL CHECK (state IN ('in_progress', 'done')),
      response_status integer,
      response_body jsonb,
      locked_until timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (principal, key)
    )`.execute(db);
  await sql`CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE idempotency_keys`.execute(db);
  await sql`DROP TABLE refresh_tokens`.execute(db);
  await sql`DROP TABLE user_identities`.execute(db);
  await sql`DROP TABLE users`.execute(db);
}
