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
      CONSTRAINT ledger_accounts_id_charset CHECK (id ~ '^[A-Za-z0-9_.:-]+$'),
      CONSTRAINT ledger_accounts_flags_exclusive
        CHECK (NOT (debits_must_not_exceed_credits AND credits_must_not_exceed_debits)),
      CONSTRAINT ledger_accounts_totals_non_negative
        CHECK (debits_posted >= 0 AND credits_posted >= 0 AND debits_pending >= 0 AND credits_pending >= 0),
      CONSTRAINT ledger_accounts_debits_within_credits
        CHECK (NOT debits_must_not_exceed_credits OR debits_posted + debits_pending <= credits_posted),
      CONSTRAINT ledger_accounts_credits_within_debits
        CHECK (NOT credits_must_not_exceed_debits OR credits_posted + credits_pending <= debits_posted)
    ) WITH (fillfactor = 70)`.execute(db);
  await sql`CREATE INDEX ledger_accounts_owner_idx ON ledger_accounts (owner_id) WHERE owner_id IS NOT NULL`.execute(
    db,
  );

  await sql`
    CREATE TABLE ledger_transfers (
      id text COLLATE "C" PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
      seq bigint GENERATED ALWAYS AS IDENTITY,
      debit_account_id text COLLATE "C" NOT NULL,
      credit_account_id text COLLATE "C" NOT NULL,
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
  // Transfers reference accounts without a foreign key: the engine only writes transfers between
  // accounts it has just locked, and a foreign key would cost two index probes per transfer on the
  // hot path. Instead accounts can never be deleted, and \`chatpay ledger verify\` checks for orphans.
  await sql`
    CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_transfers_append_only()`.execute(db);
  await sql`
    CREATE TRIGGER ledger_accounts_no_truncate BEFORE TRUNCATE ON ledger_accounts
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_transfers_append_only()`.execute(db);
  await sql.raw(lockBatchFunction).execute(db);
}

/**
 * One round trip for a batch's reads. It locks, in id order, the accounts the batch names plus those
 * of the pending transfers it resolves; then, in a fresh snapshot taken after the locks (PL/pgSQL in
 * READ COMMITTED snapshots each statement), reads the clock and every committed transfer the batch
 * could collide with: its own ids, resolutions of its pending ids, reversals of its originals (a row
 * may come twice; the engine keys them by id).
 */
const lockBatchFunction = `
CREATE FUNCTION ledger_lock_batch(account_ids text[], transfer_ids text[], pending_ids text[], reverses_ids text[])
RETURNS json LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  all_ids text[] := account_ids;
  locked json;
BEGIN
  IF cardinality(pending_ids) > 0 THEN
    SELECT all_ids || coalesce(array_agg(debit_account_id), '{}') || coalesce(array_agg(credit_account_id), '{}')
      INTO all_ids FROM ledger_transfers WHERE id = ANY (pending_ids);
  END IF;
  SELECT coalesce(json_agg(json_build_array(a.id, a.currency, a.debits_must_not_exceed_credits,
           a.credits_must_not_exceed_debits, a.debits_posted::text, a.credits_posted::text,
           a.debits_pending::text, a.credits_pending::text)), '[]')
    INTO locked
    FROM (SELECT * FROM ledger_accounts WHERE id = ANY (all_ids) ORDER BY id FOR UPDATE) a;
  RETURN json_build_object(
    'now', clock_timestamp(),
    'accounts', locked,
    'transfers', (
      SELECT coalesce(json_agg(json_build_array(t.id, t.debit_account_id, t.credit_account_id, t.amount::text,
               t.currency, t.code, t.kind, t.linked, t.pending_id, t.reverses_id, t.timeout_seconds, t.expires_at,
               t.metadata, t.created_at)), '[]')
        FROM (
          SELECT * FROM ledger_transfers WHERE id = ANY (transfer_ids) OR id = ANY (pending_ids)
          UNION
          SELECT * FROM ledger_transfers WHERE pending_id = ANY (pending_ids)
          UNION
          SELECT * FROM ledger_transfers WHERE reverses_id = ANY (reverses_ids)
        ) t));
END
$fn$`;

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION ledger_lock_batch(text[], text[], text[], text[])`.execute(db);
  await sql`DROP TABLE ledger_transfers`.execute(db);
  await sql`DROP FUNCTION ledger_transfers_append_only()`.execute(db);
  await sql`DROP TABLE ledger_accounts`.execute(db);
}
