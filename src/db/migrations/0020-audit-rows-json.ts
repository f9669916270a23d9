import { type Kysely, sql } from 'kysely';
import { pointLookups } from './0001-ledger.ts';
import { createAuditWriteBatch } from './0012-audit-write-batch.ts';

const oldSignature =
  'audit_write_batch(text[], text[], text[], text[], text[], integer[], text[], text[], text[], text[], text[], text[])';

/**
 * Audit rows (and the stored answers of requests under an Idempotency-Key) travel as one JSON
 * parameter, an array of rows, as the ledger's batch already does (`ledger_write_batch`), instead of
 * twelve text arrays. `pg` builds each array literal in JavaScript, escaping every element with two
 * regular-expression replaces; in bench:api that was 12.6 % of everything the API process allocated,
 * most of it the answers' JSON escaped again. `JSON.stringify` does it natively. Each row is
 * `[principal, action, object, before, after, status, ip, user_agent, request_id, answer_scope,
 * answer_key, answer_body]`, with `before`, `after` and `answer_body` as JSON text or null. The
 * function keeps 0012's index-only planner settings and 0013's generic plan.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await createAuditWriteRows(db);
  await sql.raw(`DROP FUNCTION ${oldSignature}`).execute(db);
}

/** This migration's function (0021 replaces it, and brings it back on the way down). */
export async function createAuditWriteRows(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
CREATE FUNCTION audit_write_rows(entries jsonb)
RETURNS void LANGUAGE plpgsql VOLATILE ${pointLookups} SET plan_cache_mode = force_generic_plan AS $fn$
BEGIN
  UPDATE idempotency_keys k
     SET state = 'done', response_status = (e->>5)::integer, response_body = (e->>11)::jsonb
    FROM jsonb_array_elements(entries) AS e
   WHERE e->>10 IS NOT NULL AND k.principal = e->>9 AND k.key = e->>10;
  INSERT INTO audit_log (principal, action, object, before, after, status, ip, user_agent, request_id)
  SELECT e->>0, e->>1, e->>2, (e->>3)::jsonb, (e->>4)::jsonb, (e->>5)::integer, e->>6, e->>7, e->>8
    FROM jsonb_array_elements(entries) AS e;
END
$fn$`)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await createAuditWriteBatch(db);
  await sql.raw(`ALTER FUNCTION ${oldSignature} SET plan_cache_mode = force_generic_plan`).execute(db);
  await sql`DROP FUNCTION audit_write_rows(jsonb)`.execute(db);
}
