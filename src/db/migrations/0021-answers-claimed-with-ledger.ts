import { type Kysely, sql } from 'kysely';
import { pointLookups } from './0001-ledger.ts';
import { createAuditWriteRows } from './0020-audit-rows-json.ts';

/**
 * An answer may claim its Idempotency-Key as it is stored, instead of updating a claim made before
 * the handler ran (`POST /v1/transfers`, see src/api/plugins/idempotency.ts): one statement less
 * per request on the API's busiest path.
 *
 * A row of `audit_write_rows` gains a thirteenth value, the request's hash. With it, the answer is
 * inserted as a finished key (`ON CONFLICT DO NOTHING`); without it, the claim is updated as before.
 * An insert can lose: another request under the same key stored its answer first (the first of two
 * with one key in the same call wins). The function then writes neither that row's answer nor its
 * audit entry, and returns the losing rows' positions (0-based) for their requests to answer from
 * what is stored. A row without the thirteenth value never loses.
 *
 * `audit_write_rows_gated` is the same write for rows that ride in the ledger's statement with the
 * transfers they answer (`Alongside.gate` in src/ledger/types.ts): a losing row must not let its
 * transfer commit, so it raises SQLSTATE `CP409` with the positions in its detail
 * (`{"fn": "audit_write_rows_gated", "rows": [...]}`), and the whole statement rolls back.
 *
 * The table's fill factor goes back to the default (0014 set 25). Most keys are now written once,
 * complete, and at 25 a page takes about four of them: a new page every four requests, each costing
 * the insert a relation extension. In `bench:api` at 2,000 transfers/s (three alternating pairs), the
 * default took the ledger's batch from 5.4–9.9 to 3.6–5.2 ms and the transfers' median from 8.5–17.6
 * to 5.7–9.3 ms. Answers stored over claims made before the handler (POSTs that are not
 * `POST /v1/transfers` below the PIN threshold) mostly stop being HOT updates again, on routes far
 * less busy.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE idempotency_keys RESET (fillfactor)`.execute(db);
  await sql`DROP FUNCTION audit_write_rows(jsonb)`.execute(db);
  await sql
    .raw(`
CREATE FUNCTION audit_write_rows(entries jsonb)
RETURNS integer[] LANGUAGE plpgsql VOLATILE ${pointLookups} SET plan_cache_mode = force_generic_plan AS $fn$
DECLARE
  lost integer[] := '{}';
BEGIN
  UPDATE idempotency_keys k
     SET state = 'done', response_status = (e->>5)::integer, response_body = (e->>11)::jsonb
    FROM jsonb_array_elements(entries) AS e
   WHERE e->>10 IS NOT NULL AND e->>12 IS NULL AND k.principal = e->>9 AND k.key = e->>10;
  IF jsonb_path_exists(entries, '$[*][12] ? (@ != null)') THEN
    WITH offered AS (
      SELECT (n - 1)::integer AS i, e FROM jsonb_array_elements(entries) WITH ORDINALITY AS t(e, n)
       WHERE e->>12 IS NOT NULL AND e->>10 IS NOT NULL
    ), first AS (
      SELECT DISTINCT ON (e->>9, e->>10) i, e FROM offered ORDER BY e->>9, e->>10, i
    ), stored AS (
      INSERT INTO idempotency_keys
             (principal, key, request_hash, state, response_status, response_body, locked_until)
      SELECT e->>9, e->>10, e->>12, 'done', (e->>5)::integer, (e->>11)::jsonb, now() FROM first
      ON CONFLICT (principal, key) DO NOTHING
      RETURNING principal, key
    )
    SELECT coalesce(array_agg(o.i ORDER BY o.i), '{}') INTO lost FROM offered o
     WHERE NOT EXISTS (SELECT 1 FROM first f JOIN stored s ON s.principal = f.e->>9 AND s.key = f.e->>10
                        WHERE f.i = o.i);
  END IF;
  INSERT INTO audit_log (principal, action, object, before, after, status, ip, user_agent, request_id)
  SELECT e->>0, e->>1, e->>2, (e->>3)::jsonb, (e->>4)::jsonb, (e->>5)::integer, e->>6, e->>7, e->>8
    FROM jsonb_array_elements(entries) WITH ORDINALITY AS t(e, n)
   WHERE NOT ((n - 1)::integer = ANY (lost));
  RETURN lost;
END
$fn$`)
    .execute(db);
  await sql
    .raw(`
CREATE FUNCTION audit_write_rows_gated(entries jsonb)
RETURNS void LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  lost integer[] := audit_write_rows(entries);
BEGIN
  IF cardinality(lost) > 0 THEN
    RAISE EXCEPTION 'an answer is already stored under the idempotency key of % row(s)', cardinality(lost)
      USING ERRCODE = 'CP409',
            DETAIL = json_build_object('fn', 'audit_write_rows_gated', 'rows', lost)::text;
  END IF;
END
$fn$`)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE idempotency_keys SET (fillfactor = 25)`.execute(db);
  await sql`DROP FUNCTION audit_write_rows_gated(jsonb)`.execute(db);
  await sql`DROP FUNCTION audit_write_rows(jsonb)`.execute(db);
  await createAuditWriteRows(db);
}
