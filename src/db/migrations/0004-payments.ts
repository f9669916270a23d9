import { type Kysely, sql } from 'kysely';

/**
 * Money in and out through providers: one `payments` table for deposits (a user's wallet), merchant
 * collections and withdrawals, and the inbox of provider webhooks. Amounts are numeric minor units.
 * The job queue (graphile-worker) keeps its own schema, installed after these migrations.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE payments (
      id text PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('deposit', 'collection', 'withdrawal')),
      provider text NOT NULL,
      mode text NOT NULL CHECK (mode IN ('test', 'live')),
      status text NOT NULL CHECK (status IN ('requires_approval', 'pending', 'succeeded', 'failed',
        'canceled', 'expired', 'rejected', 'needs_review', 'refunded')),
      user_id text,
      merchant_id text,
      -- The ledger account credited (deposits, collections) or debited (withdrawals).
      account_id text NOT NULL,
      amount numeric(38, 0) NOT NULL CHECK (amount > 0),
      fee numeric(38, 0) NOT NULL CHECK (fee >= 0),
      refunded numeric(38, 0) NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
      currency text NOT NULL,
      provider_id text,
      receipt text,
      payer jsonb,
      destination jsonb,
      metadata jsonb,
      next_action jsonb,
      failure_code text,
      failure_message text,
      review_reason text,
      requested_by text,
      decided_by text,
      decision_reason text,
      reconcile_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz,
      CHECK ((user_id IS NULL) <> (merchant_id IS NULL))
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX payments_provider_id_idx ON payments (provider, provider_id)
    WHERE provider_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX payments_user_idx ON payments (user_id, created_at DESC) WHERE user_id IS NOT NULL`.execute(
    db,
  );
  await sql`CREATE INDEX payments_merchant_idx ON payments (merchant_id, created_at DESC)
    WHERE merchant_id IS NOT NULL`.execute(db);
  // Reconciliation scans what is still open past its time.
  await sql`CREATE INDEX payments_reconcile_idx ON payments (reconcile_at) WHERE status = 'pending'`.execute(
    db,
  );
  await sql`CREATE INDEX payments_status_idx ON payments (status, created_at DESC)`.execute(db);

  // Every inbound webhook, verified or not, exactly as it came. `event_id` is unique per provider
  // for verified events, so a redelivery is stored (and applied) once.
  await sql`
    CREATE TABLE webhook_events (
      id text PRIMARY KEY,
      provider text NOT NULL,
      event_id text,
      verified boolean NOT NULL,
      verification_error text,
      headers jsonb NOT NULL,
      body text NOT NULL,
      ip text,
      received_at timestamptz NOT NULL DEFAULT now(),
      processed_at timestamptz,
      result text,
      payment_id text,
      CHECK (verified = (event_id IS NOT NULL))
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX webhook_events_event_idx ON webhook_events (provider, event_id)
    WHERE event_id IS NOT NULL`.execute(db);
  await sql`CREATE INDEX webhook_events_received_idx ON webhook_events (received_at DESC)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE webhook_events`.execute(db);
  await sql`DROP TABLE payments`.execute(db);
}
