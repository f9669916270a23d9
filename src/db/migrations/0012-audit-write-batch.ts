import { type Kysely, sql } from 'kysely';
import { pointLookups } from './0001-ledger.ts';

/**
 * The audit rows of many requests, with the stored answers of those that carried an Idempotency-Key,
 * in one statement (src/api/plugins/audit.ts, src/db/batcher.ts). As a plain prepared statement, its
 * join of `unnest(...)` against idempotency_keys was planned while the table was small as a
 * sequential scan and hash join, and kept that plan while the table grew at the request rate until
 * the next ANALYZE: on a fresh database every batch re-read the whole table. In a function with the
 * ledger's planner settings (0001) it can only look rows up by index. The settings cost about 80 µs
 * a call (saving and restoring them), so the other batched statements, point reads of tables that grow
 * with people rather than with requests, stay plain.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await createAuditWriteBatch(db);
}

/** The function as this migration made it (0020 replaces it, and its `down` brings it back). */
export async function createAuditWriteBatch(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`
CREATE FUNCTION audit_write_batch(principals text[], actions text[], objects text[], befores text[], afters text[],
                                  statuses integer[], ips text[], user_agents text[], request_ids text[],
                                  answer_scopes text[], answer_keys text[], answer_bodies text[])
RETURNS void LANGUAGE plpgsql VOLATILE ${pointLookups} AS $fn$
BEGIN
  UPDATE idempotency_keys k
     SET state = 'done', response_status = a.status, response_body = a.body::jsonb
    FROM unnest(answer_scopes, answer_keys, statuses, answer_bodies) AS a(scope, key, status, body)
   WHERE a.key IS NOT NULL AND k.principal = a.scope AND k.key = a.key;
  INSERT INTO audit_log (principal, action, object, before, after, status, ip, user_agent, request_id)
  SELECT p, act, o, b::jsonb, aft::jsonb, s, i, ua, r
    FROM unnest(principals, actions, objects, befores, afters, statuses, ips, user_agents, request_ids)
      AS t(p, act, o, b, aft, s, i, ua, r);
END
$fn$`)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION audit_write_batch(text[], text[], text[], text[], text[], integer[], text[], text[], text[], text[], text[], text[])`.execute(
    db,
  );
}
