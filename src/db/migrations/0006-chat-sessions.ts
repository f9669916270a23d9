import { type Kysely, sql } from 'kysely';

/**
 * Chats: people who come from Telegram or WhatsApp have no password (they never sign in with one:
 * the chat identity is theirs), a language, and one persisted conversation state per chat. Every
 * update handled is recorded, so a redelivered update has no second effect.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL`.execute(db);
  await sql`ALTER TABLE users DROP CONSTRAINT users_contact`.execute(db);
  // Who can sign in with a password has an email or a phone; chat-only people have neither.
  await sql`ALTER TABLE users ADD CONSTRAINT users_contact
    CHECK (email IS NOT NULL OR phone IS NOT NULL OR password_hash IS NULL)`.execute(db);
  await sql`ALTER TABLE users ADD COLUMN language text NOT NULL DEFAULT 'en'
    CHECK (language IN ('en', 'am', 'sw'))`.execute(db);
  await sql`
    CREATE TABLE chat_sessions (
      channel text NOT NULL CHECK (channel IN ('telegram', 'whatsapp')),
      chat_id text NOT NULL,
      user_id text REFERENCES users (id),
      flow text,
      step text,
      data jsonb NOT NULL DEFAULT '{}',
      expires_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (channel, chat_id)
    )`.execute(db);
  await sql`
    CREATE TABLE chat_updates (
      channel text NOT NULL,
      update_id text NOT NULL,
      handled_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (channel, update_id)
    )`.execute(db);
  await sql`CREATE INDEX chat_updates_handled_idx ON chat_updates (handled_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE chat_updates`.execute(db);
  await sql`DROP TABLE chat_sessions`.execute(db);
  await sql`ALTER TABLE users DROP COLUMN language`.execute(db);
}
