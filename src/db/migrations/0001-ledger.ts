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
  // One guard for every table that may only grow; each trigger passes the reason to report.
  await sql`
    CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE OR DELETE ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION forbid_change('ledger transfers are immutable: post a reversing transfer instead')`.execute(
    db,
  );
  await sql`
    CREATE TRIGGER ledger_transfers_no_truncate BEFORE TRUNCATE ON ledger_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change('ledger transfers are immutable')`.execute(db);
  // Transfers reference accounts without a foreign key: the engine only writes transfers between
  // accounts it has just locked, and a foreign key would cost two index probes per transfer on the
  // hot path. Instead accounts can never be deleted, and \`chatpay ledger verify\` checks for orphans.
  await sql`
    CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION forbid_change('ledger accounts are never deleted')`.execute(db);
  await sql`
    CREATE TRIGGER ledger_accounts_no_truncate BEFORE TRUNCATE ON ledger_accounts
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change('ledger accounts are never deleted')`.execute(db);
  await sql.raw(readBatchFunction).execute(db);
  await sql.raw(writeBatchFunction).execute(db);
}

// The batch functions only ever touch rows by primary key or unique index. On a small or freshly
// analysed table the planner prefers sequential scans and hash joins for `= ANY(array)` and JSON
// joins, which cost milliseconds per batch; index lookups cost microseconds at any size.
export const pointLookups = 'SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off';

/**
 * A batch's reads, in one round trip: the accounts it names plus those of the pending transfers it
 * resolves, the clock, and every committed transfer it could collide with (its own ids, resolutions of
 * its pending ids, reversals of its originals; a row may come twice, the engine keys them by id).
 * Optimistic mode reads everything in one statement, one snapshot. Locking mode first locks the
 * accounts in id order (so two lockers never deadlock), then reads the rest in a snapshot taken after
 * the locks: PL/pgSQL in READ COMMITTED snapshots each statement.
 */
export const readBatchFunction = `
CREATE FUNCTION ledger_read_batch(account_ids text[], transfer_ids text[], pending_ids text[], reverses_ids text[],
                                  lock_accounts boolean)
RETURNS json LANGUAGE plpgsql VOLATILE ${pointLookups} AS $fn$
DECLARE
  all_ids text[] := account_ids;
  locked json;
BEGIN
  IF cardinality(pending_ids) > 0 THEN
    SELECT all_ids || coalesce(array_agg(debit_account_id), '{}') || coalesce(array_agg(credit_account_id), '{}')
      INTO all_ids FROM ledger_transfers WHERE id = ANY (pending_ids);
  END IF;
  IF lock_accounts THEN
    PERFORM 1 FROM (SELECT id FROM ledger_accounts WHERE id = ANY (all_ids) ORDER BY id FOR UPDATE) a;
  END IF;
  RETURN json_build_object(
    'now', clock_timestamp(),
    'accounts', (
      SELECT coalesce(json_agg(json_build_array(a.id, a.currency, a.debits_must_not_exceed_credits,
               a.credits_must_not_exceed_debits, a.debits_posted::text, a.credits_posted::text,
               a.debits_pending::text, a.credits_pending::text)), '[]')
        FROM ledger_accounts a WHERE a.id = ANY (all_ids)),
    'transfers', (
      SELECT coalesce(json_agg(json_build_array(t.id, t.debit_account_id, t.credit_account_id, t.amount::text,
               t.currency, t.code, t.kind, t.linked, t.pending_id, t.reverses_id, t.timeout_seconds, t.expires_at,
               t.metadata, t.created_at)), '[]')
        FROM (
          SELECT * FROM ledger_transfers WHERE id = ANY (transfer_ids || pending_ids)
          UNION ALL
          SELECT * FROM ledger_transfers WHERE pending_id = ANY (pending_ids)
          UNION ALL
          SELECT * FROM ledger_transfers WHERE reverses_id = ANY (reverses_ids)
        ) t));
END
$fn$`;

/**
 * A batch's writes, in one statement: insert its transfers, then set each touched account's totals,
 * but only where they still hold the values the batch read (compare-and-set). If another writer got
 * there first, or inserted one of the ids, the whole call fails with serialization_failure or
 * unique_violation, nothing of it stays, and the engine retries the batch under row locks.
 */
export const writeBatchFunction = `
CREATE FUNCTION ledger_write_batch(transfers jsonb, accounts jsonb)
RETURNS void LANGUAGE plpgsql VOLATILE ${pointLookups} AS $fn$
DECLARE
  updated integer;
BEGIN
  INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, currency, code, kind, linked,
    pending_id, reverses_id, timeout_seconds, expires_at, metadata, created_at)
  SELECT r->>0, r->>1, r->>2, (r->>3)::numeric, r->>4, r->>5, r->>6, (r->>7)::boolean, r->>8, r->>9,
         (r->>10)::integer, (r->>11)::timestamptz, r->12, (r->>13)::timestamptz
    FROM jsonb_array_elements(transfers) AS r;
  UPDATE ledger_accounts AS acc
     SET debits_posted = (v->>1)::numeric, credits_posted = (v->>2)::numeric,
         debits_pending = (v->>3)::numeric, credits_pending = (v->>4)::numeric
    FROM jsonb_array_elements(accounts) AS v
   WHERE acc.id = v->>0
     AND acc.debits_posted = (v->>5)::numeric AND acc.credits_posted = (v->>6)::numeric
     AND acc.debits_pending = (v->>7)::numeric AND acc.credits_pending = (v->>8)::numeric;
  GET DIAGNOSTICS updated = ROW_COUNT;
  IF updated <> jsonb_array_length(accounts) THEN
    RAISE EXCEPTION 'a ledger account changed after the batch read it' USING ERRCODE = 'serialization_failure';
  END IF;
END
$fn$`;

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION ledger_write_batch(jsonb, jsonb)`.execute(db);
  await sql`DROP FUNCTION ledger_read_batch(text[], text[], text[], text[], boolean)`.execute(db);
  await sql`DROP TABLE ledger_transfers`.execute(db);
  await sql`DROP FUNCTION forbid_change()`.execute(db);
  await sql`DROP TABLE ledger_accounts`.execute(db);
}
