import { type Kysely, sql } from 'kysely';
import { pointLookups } from './0001-ledger.ts';

/**
 * The statements that many requests share (src/db/batcher.ts), as functions whose plans can only look
 * rows up by index. As plain prepared statements, their joins against `unnest(...)` were planned once,
 * while the tables were small, as sequential scans and hash joins, and kept that plan as the tables
 * grew until the next ANALYZE: on a fresh database, each batch of audit rows re-read the whole
 * idempotency table. The ledger's batch functions (0001) have the same settings for the same reason.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Audit rows, and the stored answers of requests that carried an Idempotency-Key, in one statement.
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
  // Which of these users are frozen.
  await sql
    .raw(`
CREATE FUNCTION users_frozen_among(ids text[])
RETURNS SETOF text LANGUAGE plpgsql STABLE ${pointLookups} AS $fn$
BEGIN
  RETURN QUERY SELECT id FROM users WHERE id = ANY (ids) AND frozen_at IS NOT NULL;
END
$fn$`)
    .execute(db);
  // These users' wallets.
  await sql
    .raw(`
CREATE FUNCTION wallets_of(owner_ids text[])
RETURNS SETOF ledger_accounts LANGUAGE plpgsql STABLE ${pointLookups} AS $fn$
BEGIN
  RETURN QUERY SELECT * FROM ledger_accounts WHERE owner_id = ANY (owner_ids) AND kind = 'wallet';
END
$fn$`)
    .execute(db);
  // Chat notices, queued only for people with a chat on the notice's channel. (The job queue's schema
  // is created after these migrations: its names may appear in statements, not in declarations.)
  await sql
    .raw(`
CREATE FUNCTION chat_notices_queue(payloads text[], job_keys text[], user_ids text[], providers text[])
RETURNS void LANGUAGE plpgsql VOLATILE ${pointLookups} AS $fn$
BEGIN
  IF EXISTS (SELECT 1 FROM unnest(user_ids, providers) AS n(user_id, provider)
              WHERE EXISTS (SELECT 1 FROM user_identities i WHERE i.user_id = n.user_id AND i.provider = n.provider))
  THEN
    PERFORM graphile_worker.add_jobs(ARRAY(
      SELECT ROW('chat_notice', n.payload::json, NULL, NULL, NULL, n.job_key, NULL, NULL)::graphile_worker.job_spec
        FROM unnest(payloads, job_keys, user_ids, providers) AS n(payload, job_key, user_id, provider)
       WHERE EXISTS (SELECT 1 FROM user_identities i WHERE i.user_id = n.user_id AND i.provider = n.provider)));
  END IF;
END
$fn$`)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION chat_notices_queue(text[], text[], text[], text[])`.execute(db);
  await sql`DROP FUNCTION wallets_of(text[])`.execute(db);
  await sql`DROP FUNCTION users_frozen_among(text[])`.execute(db);
  await sql`DROP FUNCTION audit_write_batch(text[], text[], text[], text[], text[], integer[], text[], text[], text[], text[], text[], text[])`.execute(
    db,
  );
}
