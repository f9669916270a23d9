import { type Kysely, sql } from 'kysely';

/**
 * The daily aggregates are kept per mode, so the dashboard shows live money apart from test money:
 * merchants' test-key collections no longer add to live volumes. People's transfers count in the mode
 * of their wallets (`WALLETS_MODE`). The rows had no mode to keep: they are emptied here, and the
 * aggregation job's next run (within a minute) backfills an empty table's 35 days, each row in its mode.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`DELETE FROM daily_stats`.execute(db);
  await sql`ALTER TABLE daily_stats ADD COLUMN mode text NOT NULL CHECK (mode IN ('test', 'live'))`.execute(
    db,
  );
  await sql`ALTER TABLE daily_stats DROP CONSTRAINT daily_stats_pkey`.execute(db);
  await sql`ALTER TABLE daily_stats ADD PRIMARY KEY (day, mode, currency, kind, provider)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DELETE FROM daily_stats`.execute(db);
  await sql`ALTER TABLE daily_stats DROP CONSTRAINT daily_stats_pkey`.execute(db);
  await sql`ALTER TABLE daily_stats DROP COLUMN mode`.execute(db);
  await sql`ALTER TABLE daily_stats ADD PRIMARY KEY (day, currency, kind, provider)`.execute(db);
}
