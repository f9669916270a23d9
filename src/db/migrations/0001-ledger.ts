import { type Kysely, sql } from 'kysely';

/**
 * The ledger: accounts with four running totals, and immutable transfers. The CHECK constraints
 * repeat the engine's rules so that a bug in the engine can't commit a balance that breaks a flag;
 * the triggers make transfers append-only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE ledger_accounts (
      id text COLLATE "C" PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
      currency text NOT NULL,
      kind text NOT NULL,
      owner_id text,
      debits_must_not_exceed_credits boolean NOT NULL DEFAULT false,
      credits_must_not_exceed_debits boolean NOT NULL DEFAULT false,
      debits_posted numeric(38,0) NOT NULL DEFAULT 0,
      credits_posted numeric(38,0) NOT NULL DEFAULT 0,
      debits_pending numeric(38,0) NOT NULL DEFAULT 0,
      credits_pending numeric(38,0) NOT NULL DEFAULT 0,
      metadata jsonb,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      CONSTRAINT ledger_accounts_flags_exclusive
        CHECK (NOT (debits_must_not_exceed_credits AND credits_must_not_exceed_debits)),
      CONSTRAINT ledger_accounts_totals_non_negative
        CHECK (debits_posted >= 0 AND credits_posted >= 0 AND debits_pending >= 0 AND credits_pending >= 0),
      CONSTRAINT ledger_accounts_debits_within_credits
        CHECK (NOT debits_must_not_exceed_credits OR debits_posted + debits_pending <= credits_posted),
      CONSTRAINT ledger_accounts_credits_within_debits
        CHECK (NOT credits_must_not_exceed_debits OR credits_posted + credits_pending <= debits_posted)
    )`.execute(db);
  await sql`CREATE INDEX ledger_accounts_owner_idx ON ledger_accounts (owner_id) WHERE owner_id IS NOT NULL`.execute(
    db,
  );

  await sql`
    CREATE TABLE ledger_transfers (
      id text COLLATE "C" PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
      seq bigint GENERATED ALWAYS AS IDENTITY,
      debit_account_id text COLLATE "C" NOT NULL REFERENCES ledger_accounts (id),
      credit_account_id text COLLATE "C" NOT NULL REFERENCES ledger_accounts (id),
      amount numeric(38,0) NOT NULL CHECK (amount > 0),
      currency text NOT NULL,
      code text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('posted', 'pending', 'post_pending', 'void_pending')),
      linked boolean NOT NULL DEFAULT false,
      pending_id text COLLATE "C" REFERENCES ledger_transfers (id),
      reverses_id text COLLATE "C" REFERENCES ledger_transfers (id),
      timeout_seconds integer CHECK (timeout_seconds > 0),
      expires_at timestamptz,
      metadata jsonb,
      created_at timestamptz NOT NULL,
      CONSTRAINT ledger_transfers_accounts_differ CHECK (debit_account_id <> credit_account_id),
      CONSTRAINT ledger_transfers_pending_id_iff_resolution
        CHECK ((kind IN ('post_pending', 'void_pending')) = (pending_id IS NOT NULL)),
      CONSTRAINT ledger_transfers_timeout_only_pending CHECK (kind = 'pending' OR timeout_seconds IS NULL)
    )`.execute(db);
  // A pending transfer is resolved (posted or voided) at most once, and a transfer reversed at most
  // once, even when two processes race: the second insert fails and its batch is retried.
  await sql`CREATE UNIQUE INDEX ledger_transfers_pending_once ON ledger_transfers (pending_id) WHERE pending_id IS NOT NULL`.execute(
    db,
  );
  await sql`CREATE UNIQUE INDEX ledger_transfers_reversed_once ON ledger_transfers (reverses_id) WHERE reverses_id IS NOT NULL`.execute(
    db,
  );
  await sql`CREATE INDEX ledger_transfers_debit_idx ON ledger_transfers (debit_account_id, created_at)`.execute(
    db,
  );
  await sql`CREATE INDEX ledger_transfers_credit_idx ON ledger_transfers (credit_account_id, created_at)`.execute(
    db,
  );
  await sql`CREATE INDEX ledger_transfers_expiry_idx ON ledger_transfers (expires_at) WHERE expires_at IS NOT NULL`.execute(
    db,
  );
  await sql`
    CREATE FUNCTION ledger_transfers_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'ledger transfers are immutable: post a reversing transfer instead'
        USING ERRCODE = 'restrict_violation';
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE OR DELETE ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_transfers_append_only()`.execute(db);
  await sql`
    CREATE TRIGGER ledger_transfers_no_truncate BEFORE TRUNCATE ON ledger_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_transfers_append_only()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE ledger_transfers`.execute(db);
  await sql`DROP FUNCTION ledger_transfers_append_only()`.execute(db);
  await sql`DROP TABLE ledger_accounts`.execute(db);
}
