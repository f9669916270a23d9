import { type Kysely, sql } from 'kysely';

/**
 * Console sessions no longer store their CSRF token: it is derived from the session's cookie value
 * (src/users/console-sessions.ts `csrfTokenOf`), of which the database keeps only a hash. Sessions
 * open during the upgrade stay signed in; a page loaded before it sends its old token, so its next
 * change is refused with `csrf_token_invalid` until the page is reloaded (which fetches the new one).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE console_sessions DROP COLUMN csrf_token`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Tokens can't be recovered from the hashes: sessions opened before the downgrade must sign in again.
  await sql`UPDATE console_sessions SET ended_at = now() WHERE ended_at IS NULL`.execute(db);
  await sql`ALTER TABLE console_sessions ADD COLUMN csrf_token text NOT NULL DEFAULT ''`.execute(db);
  await sql`ALTER TABLE console_sessions ALTER COLUMN csrf_token DROP DEFAULT`.execute(db);
}
