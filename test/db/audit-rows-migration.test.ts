/**
 * Migration 0020: audit rows travel as one JSON parameter (`audit_write_rows`) instead of twelve text
 * arrays (`audit_write_batch`, 0012). Down brings the old function back as 0012 and 0013 left it.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import * as m0020 from '../../src/db/migrations/0020-audit-rows-json.ts';
import * as m0021 from '../../src/db/migrations/0021-answers-claimed-with-ledger.ts';
import { auditWriteRow } from '../helpers/audit-rows.ts';
import { freshDatabase } from '../helpers/database.ts';

const db = await freshDatabase(2);

async function auditFunctions(): Promise<{ proname: string; proconfig: string[] | null }[]> {
  const { rows } = await db.pool.query<{ proname: string; proconfig: string[] | null }>(
    `SELECT proname, proconfig FROM pg_proc WHERE proname LIKE 'audit_write_%' ORDER BY proname`,
  );
  return rows;
}

describe('migration 0020', () => {
  it('writes audit rows and stored answers from one JSON parameter, and is reversible', async () => {
    await db.pool.query(
      `INSERT INTO idempotency_keys (principal, key, request_hash, state, locked_until)
       VALUES ('user:usr_a', 'k1', 'h', 'in_progress', now() + interval '1 minute')`,
    );
    const row = (request: string, key: string | null) =>
      auditWriteRow({
        request,
        key,
        object: 'txf_1',
        after: '{"amount":"1.00"}',
        userAgent: 'ua "quoted" \\ back',
        body: '{"id":"txf_1","note":"say \\"hi\\""}',
      });
    await db.pool.query('SELECT audit_write_rows($1::jsonb)', [
      JSON.stringify([row('req_m1', 'k1'), row('req_m2', null)]),
    ]);
    const { rows: entries } = await db.pool.query(
      `SELECT request_id, object, after, status, user_agent FROM audit_log WHERE request_id LIKE 'req_m%' ORDER BY 1`,
    );
    expect(entries).toEqual(
      ['req_m1', 'req_m2'].map((request_id) => ({
        request_id,
        object: 'txf_1',
        after: { amount: '1.00' },
        status: 201,
        user_agent: 'ua "quoted" \\ back',
      })),
    );
    const { rows: answers } = await db.pool.query(
      `SELECT state, response_status, response_body FROM idempotency_keys WHERE key = 'k1'`,
    );
    expect(answers).toEqual([
      { state: 'done', response_status: 201, response_body: { id: 'txf_1', note: 'say "hi"' } },
    ]);

    const kysely = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: db.url, max: 1 }) }),
    });
    try {
      // 0021 replaced the function since: step back over it first.
      await m0021.down(kysely);
      await m0020.down(kysely);
      expect(await auditFunctions()).toEqual([
        {
          proname: 'audit_write_batch',
          proconfig: expect.arrayContaining(['plan_cache_mode=force_generic_plan']),
        },
      ]);
      await m0020.up(kysely);
      expect(await auditFunctions()).toEqual([
        {
          proname: 'audit_write_rows',
          proconfig: expect.arrayContaining(['plan_cache_mode=force_generic_plan']),
        },
      ]);
      await m0021.up(kysely);
    } finally {
      await kysely.destroy();
    }
  });
});
