import { type Kysely, sql } from 'kysely';

/**
 * The hot path's batch functions plan their statements once per connection, not once per call.
 *
 * A PL/pgSQL statement is a prepared statement, and PostgreSQL prefers a custom plan (made for the
 * call's own parameters) while it estimates that to be cheaper than the generic one. For an array
 * parameter (`id = ANY (ids)`, `unnest(ids)`) the custom plan always looks cheaper, since it knows the
 * array's length, so the statement was planned again on every call. Measured with pg_stat_statements
 * on this machine: ledger_read_batch's read was planned on each of 2,391 calls at 0.33 ms a plan,
 * against 0.05 ms to run it; the stored-answer UPDATE of audit_write_batch, 0.08 ms a plan. The
 * functions already forbid sequential scans and hash or merge joins (0001 `pointLookups`), so the
 * generic plan is the index lookup the custom one would have been.
 *
 * The freeze check of every send (`users_frozen_batch` in src/users/freeze.ts) is a plain prepared
 * statement and was re-planned on every call too (0.05 ms a plan, 0.015 ms to run). Over a partial
 * index of the frozen users, a handful of rows, a generic plan costs no more than a custom one for
 * batches of a few ids, so PostgreSQL settles on it after its five trial plans (a test shows it does
 * not without the index). A lone check uses a scalar statement instead (src/users/freeze.ts).
 */
const functions = [
  'ledger_read_batch(text[], text[], text[], text[], boolean)',
  'ledger_write_batch(jsonb, jsonb)',
  'audit_write_batch(text[], text[], text[], text[], text[], integer[], text[], text[], text[], text[], text[], text[])',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX users_frozen_idx ON users (id) WHERE frozen_at IS NOT NULL`.execute(db);
  for (const fn of functions) {
    await sql.raw(`ALTER FUNCTION ${fn} SET plan_cache_mode = force_generic_plan`).execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const fn of functions) {
    await sql.raw(`ALTER FUNCTION ${fn} RESET plan_cache_mode`).execute(db);
  }
  await sql`DROP INDEX users_frozen_idx`.execute(db);
}
