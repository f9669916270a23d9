import { type Kysely, sql } from 'kysely';

/**
 * Money sent to someone not on ChatPay yet: held (a pending ledger transfer into an escrow account
 * with a timeout) until they join and claim it, or returned when the hold expires.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE held_transfers (
      id text PRIMARY KEY,
      from_user_id text NOT NULL REFERENCES users (id),
      -- '@username' (lower case) or an E.164 phone number.
      to_handle text NOT NULL,
      amount numeric(38, 0) NOT NULL CHECK (amount > 0),
      currency text NOT NULL,
      status text NOT NULL CHECK (status IN ('held', 'claimed', 'returned')),
      claimed_by text REFERENCES users (id),
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      settled_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX held_transfers_handle_idx ON held_transfers (to_handle) WHERE status = 'held'`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE held_transfers`.execute(db);
}
