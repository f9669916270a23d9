import { type Kysely, sql } from 'kysely';

/**
 * What operators search. Users by case-insensitive prefix of display name, email, phone (E.164) or
 * Telegram username: `text_pattern_ops` b-tree indexes serve `LIKE 'prefix%'` whatever the database's
 * collation, without an extension (pg_trgm is not in every PostgreSQL, the embedded one included).
 * Emails are stored lower-cased and phones in E.164, so those two need no lower(). The two lower()
 * indexes are whole, not partial: the planner uses an expression index's statistics only when it
 * has no predicate, and without them it guessed a few hundred matches for a prefix that has tens of
 * thousands. The audit log is filtered by action or by time alone (principal and object have their
 * indexes since 0003).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX users_display_name_prefix_idx ON users (lower(display_name) text_pattern_ops)`.execute(
    db,
  );
  await sql`CREATE INDEX users_email_prefix_idx ON users (email text_pattern_ops) WHERE email IS NOT NULL`.execute(
    db,
  );
  await sql`CREATE INDEX users_phone_prefix_idx ON users (phone text_pattern_ops) WHERE phone IS NOT NULL`.execute(
    db,
  );
  await sql`CREATE INDEX user_identities_username_prefix_idx ON user_identities (lower(username) text_pattern_ops)`.execute(
    db,
  );
  await sql`CREATE INDEX audit_log_action_idx ON audit_log (action, at)`.execute(db);
  await sql`CREATE INDEX audit_log_at_idx ON audit_log (at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX audit_log_at_idx`.execute(db);
  await sql`DROP INDEX audit_log_action_idx`.execute(db);
  await sql`DROP INDEX user_identities_username_prefix_idx`.execute(db);
  await sql`DROP INDEX users_phone_prefix_idx`.execute(db);
  await sql`DROP INDEX users_email_prefix_idx`.execute(db);
  await sql`DROP INDEX users_display_name_prefix_idx`.execute(db);
}
