import { type Kysely, sql } from 'kysely';

/**
 * The operator console: operator sessions (cookie, CSRF token, TOTP), frozen users, KYC documents,
 * manual adjustments with two-person approval, editable settings (fees, limits), the one list of
 * transactions operators search, and the daily aggregates the dashboard reads.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE users
      ADD COLUMN display_name text CHECK (length(display_name) <= 200),
      ADD COLUMN frozen_at timestamptz,
      ADD COLUMN frozen_reason text,
      ADD COLUMN kyc_level text NOT NULL DEFAULT 'none' CHECK (kyc_level IN ('none', 'basic', 'full')),
      -- Operators' TOTP: the base32 secret, and the last time step accepted (a code is used once).
      ADD COLUMN totp_secret text,
      ADD COLUMN totp_last_step bigint`.execute(db);

  // A session is stored only as the hash of its cookie value.
  await sql`
    CREATE TABLE console_sessions (
      token_hash text PRIMARY KEY,
      user_id text NOT NULL REFERENCES users (id),
      csrf_token text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      ended_at timestamptz,
      ip text,
      user_agent text
    )`.execute(db);
  await sql`CREATE INDEX console_sessions_user_idx ON console_sessions (user_id) WHERE ended_at IS NULL`.execute(
    db,
  );
  // Between the password and the TOTP code: single-use, short-lived, stored hashed. During enrolment
  // it carries the secret being enrolled, which becomes the operator's only once a code proves it.
  await sql`
    CREATE TABLE console_challenges (
      token_hash text PRIMARY KEY,
      user_id text NOT NULL REFERENCES users (id),
      enrolling_secret text,
      expires_at timestamptz NOT NULL,
      used_at timestamptz
    )`.execute(db);
  await sql`
    CREATE TABLE sign_in_failures (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      email text NOT NULL,
      ip text NOT NULL,
      at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX sign_in_failures_email_idx ON sign_in_failures (email, at)`.execute(db);
  await sql`CREATE INDEX sign_in_failures_ip_idx ON sign_in_failures (ip, at)`.execute(db);

  await sql`
    CREATE TABLE kyc_documents (
      id text PRIMARY KEY,
      user_id text NOT NULL REFERENCES users (id),
      kind text NOT NULL CHECK (kind IN ('id_front', 'id_back', 'passport', 'selfie', 'proof_of_address')),
      level text NOT NULL CHECK (level IN ('basic', 'full')),
      status text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
      content_type text NOT NULL,
      size_bytes integer NOT NULL CHECK (size_bytes > 0),
      sha256 text NOT NULL,
      storage_key text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      decided_by text REFERENCES users (id),
      decided_at timestamptz,
      reason text
    )`.execute(db);
  await sql`CREATE INDEX kyc_documents_user_idx ON kyc_documents (user_id, created_at DESC)`.execute(db);
  await sql`CREATE INDEX kyc_documents_pending_idx ON kyc_documents (created_at) WHERE status = 'pending'`.execute(
    db,
  );

  // A manual credit or debit of a user's wallet against the platform's adjustments account. Nothing
  // moves until a second operator approves; the ledger transfer id is fixed when it is requested.
  await sql`
    CREATE TABLE adjustments (
      id text PRIMARY KEY,
      user_id text NOT NULL REFERENCES users (id),
      currency text NOT NULL,
      direction text NOT NULL CHECK (direction IN ('credit', 'debit')),
      amount numeric(38, 0) NOT NULL CHECK (amount > 0),
      reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
      status text NOT NULL CHECK (status IN ('pending_approval', 'approved', 'rejected')),
      requested_by text NOT NULL REFERENCES users (id),
      decided_by text REFERENCES users (id),
      decision_reason text,
      transfer_id text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      decided_at timestamptz,
      CHECK (decided_by IS NULL OR decided_by <> requested_by)
    )`.execute(db);
  await sql`CREATE INDEX adjustments_status_idx ON adjustments (status, created_at DESC)`.execute(db);

  // Operator-edited settings (fee schedule, limits) that override the environment's defaults.
  await sql`
    CREATE TABLE settings (
      key text PRIMARY KEY,
      value jsonb NOT NULL,
      updated_by text REFERENCES users (id),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);

  // What operators search: every payment and every transfer between people, newest first. Each
  // branch has its own (created_at, id) index so a filtered first page is a merge of index scans.
  await sql`CREATE INDEX payments_created_idx ON payments (created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX payments_provider_created_idx ON payments (provider, created_at DESC, id DESC)`.execute(
    db,
  );
  await sql`CREATE INDEX ledger_transfers_p2p_idx ON ledger_transfers (created_at DESC, id DESC)
    WHERE code IN ('p2p', 'p2p_held', 'adjustment')`.execute(db);
  await sql`CREATE INDEX ledger_transfers_from_idx ON ledger_transfers ((metadata->>'from'), created_at DESC)
    WHERE code IN ('p2p', 'p2p_held', 'adjustment')`.execute(db);
  await sql`CREATE INDEX ledger_transfers_to_idx ON ledger_transfers ((metadata->>'to'), created_at DESC)
    WHERE code IN ('p2p', 'p2p_held', 'adjustment')`.execute(db);
  await sql`
    CREATE VIEW operator_transactions AS
      SELECT p.id, p.kind AS type, p.status, p.provider, p.currency, p.amount, p.fee,
             p.user_id, NULL::text AS counterparty_user_id, p.merchant_id, p.created_at
        FROM payments p
      UNION ALL
      SELECT t.id,
             CASE t.code WHEN 'adjustment' THEN 'adjustment' WHEN 'p2p_held' THEN 'held_transfer' ELSE 'transfer' END,
             CASE WHEN t.kind = 'posted' OR r.kind = 'post_pending' THEN 'succeeded'
                  WHEN r.kind = 'void_pending' THEN 'canceled' ELSE 'pending' END,
             NULL, t.currency, t.amount, 0::numeric,
             t.metadata->>'from', t.metadata->>'to', NULL, t.created_at
        FROM ledger_transfers t
        LEFT JOIN ledger_transfers r ON r.pending_id = t.id
       WHERE t.code IN ('p2p', 'p2p_held', 'adjustment') AND t.kind IN ('posted', 'pending')`.execute(db);

  // Daily aggregates for the dashboard, recomputed by a job (today's every minute), so the dashboard
  // reads a few hundred rows whatever the size of the history. provider '' = none (transfers).
  await sql`
    CREATE TABLE daily_stats (
      day date NOT NULL,
      currency text NOT NULL,
      kind text NOT NULL,
      provider text NOT NULL,
      succeeded_count bigint NOT NULL,
      failed_count bigint NOT NULL,
      pending_count bigint NOT NULL,
      volume numeric(38, 0) NOT NULL,
      computed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (day, currency, kind, provider)
    )`.execute(db);
  // Who moved money on a day (for active users over any window without rescanning history).
  await sql`
    CREATE TABLE daily_active_users (
      day date NOT NULL,
      user_id text NOT NULL,
      PRIMARY KEY (day, user_id)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE daily_active_users`.execute(db);
  await sql`DROP TABLE daily_stats`.execute(db);
  await sql`DROP VIEW operator_transactions`.execute(db);
  await sql`DROP INDEX ledger_transfers_to_idx`.execute(db);
  await sql`DROP INDEX ledger_transfers_from_idx`.execute(db);
  await sql`DROP INDEX ledger_transfers_p2p_idx`.execute(db);
  await sql`DROP INDEX payments_provider_created_idx`.execute(db);
  await sql`DROP INDEX payments_created_idx`.execute(db);
  await sql`DROP TABLE settings`.execute(db);
  await sql`DROP TABLE adjustments`.execute(db);
  await sql`DROP TABLE kyc_documents`.execute(db);
  await sql`DROP TABLE sign_in_failures`.execute(db);
  await sql`DROP TABLE console_challenges`.execute(db);
  await sql`DROP TABLE console_sessions`.execute(db);
  await sql`ALTER TABLE users DROP COLUMN display_name, DROP COLUMN frozen_at, DROP COLUMN frozen_reason,
    DROP COLUMN kyc_level, DROP COLUMN totp_secret, DROP COLUMN totp_last_step`.execute(db);
}
