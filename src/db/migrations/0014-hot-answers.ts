import { type Kysely, sql } from 'kysely';

/**
 * A stored idempotent answer is written in place (a HOT update), not as a new row version with new
 * index entries.
 *
 * Every POST with an Idempotency-Key writes its key twice: the claim (a ~200-byte row, before the
 * handler runs) and then the answer (the same row grown to ~500 bytes, with the audit row, migration
 * 0012). PostgreSQL can update a row without touching its indexes only when the new version fits on
 * the same page. With the default fill factor the claims of concurrent requests filled each page
 * first, so under load most answers moved to another page and re-inserted both index entries: in
 * `bench:api` at 1,500 transfers/s, 24 % of the answer updates were HOT, costing 53 µs of PostgreSQL
 * time per request. At a fill factor of 25 a page takes about ten claims and keeps room for all
 * their answers: 98 % HOT, 36 µs. The table holds 72 hours of keys, so the lower density costs little.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE idempotency_keys SET (fillfactor = 25)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE idempotency_keys RESET (fillfactor)`.execute(db);
}
