import { type Kysely, sql } from 'kysely';

/**
 * Refunds of merchant payments, and outgoing webhooks to merchants: the endpoints each merchant registers (per mode), and one delivery
 * row per event and endpoint, which is also the delivery log (attempts, last answer, when delivered).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE webhook_endpoints (
      id text PRIMARY KEY,
      merchant_id text NOT NULL REFERENCES merchants (id),
      mode text NOT NULL CHECK (mode IN ('test', 'live')),
      url text NOT NULL CHECK (length(url) <= 2048),
      -- Signs every delivery (HMAC-SHA256); shown once, when the endpoint is created.
      secret text NOT NULL,
      events text[] NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      disabled_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX webhook_endpoints_merchant_idx ON webhook_endpoints (merchant_id, mode)
    WHERE disabled_at IS NULL`.execute(db);
  await sql`
    CREATE TABLE webhook_deliveries (
      id text PRIMARY KEY,
      endpoint_id text NOT NULL REFERENCES webhook_endpoints (id),
      event_id text NOT NULL,
      event_type text NOT NULL,
      payload text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      last_status integer,
      last_error text,
      last_attempt_at timestamptz,
      delivered_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (endpoint_id, event_id)
    )`.execute(db);
  // Refunds of merchant payments (the money goes back through the provider that collected it).
  await sql`
    CREATE TABLE refunds (
      id text PRIMARY KEY,
      payment_id text NOT NULL REFERENCES payments (id),
      amount numeric(38, 0) NOT NULL CHECK (amount > 0),
      currency text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
      provider_id text,
      failure_message text,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX refunds_payment_idx ON refunds (payment_id)`.execute(db);
  await sql`CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at DESC)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE refunds`.execute(db);
  await sql`DROP TABLE webhook_deliveries`.execute(db);
  await sql`DROP TABLE webhook_endpoints`.execute(db);
}
