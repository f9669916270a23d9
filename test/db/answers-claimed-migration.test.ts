/**
 * Migration 0021: an answer may claim its Idempotency-Key as it is stored (`audit_write_rows` with a
 * request hash), losing to an answer stored first; `audit_write_rows_gated` raises instead, so the
 * ledger's statement carrying it rolls back. Down brings 0020's function back.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import * as m0021 from '../../src/db/migrations/0021-answers-claimed-with-ledger.ts';
import { auditWriteRow } from '../helpers/audit-rows.ts';
import { freshDatabase } from '../helpers/database.ts';

const db = await freshDatabase(2);

/** A row of `audit_write_rows`: answered under `key`, claiming it when `hash` is given. */
const row = (request: string, key: string | null, hash?: string) =>
  auditWriteRow({ request, key, body: JSON.stringify({ request }), ...(hash === undefined ? {} : { hash }) });

const write = async (rows: unknown[][]) =>
  (
    await db.pool.query<{ lost: number[] }>('SELECT audit_write_rows($1::jsonb) AS lost', [
      JSON.stringify(rows),
    ])
  ).rows[0]?.lost;

const entries = async (prefix: string) =>
  (
    await db.pool.query<{ request_id: string }>(
      'SELECT request_id FROM audit_log WHERE request_id LIKE $1 ORDER BY request_id',
      [`${prefix}%`],
    )
  ).rows.map((r) => r.request_id);

const stored = async (key: string) =>
  (
    await db.pool.query(
      `SELECT request_hash, state, response_status, response_body FROM idempotency_keys
        WHERE principal = 'user:usr_a' AND key = $1`,
      [key],
    )
  ).rows;

describe('migration 0021', () => {
  it('stores an answer as its claim, or says it lost to one stored first, writing neither', async () => {
    await db.pool.query(
      `INSERT INTO idempotency_keys (principal, key, request_hash, state, locked_until)
       VALUES ('user:usr_a', 'claimed-before', 'h0', 'in_progress', now() + interval '1 minute')`,
    );
    const lost = await write([
      row('req_a1', 'new', 'h1'), // claims `new`
      row('req_a2', 'claimed-before'), // updates the claim made before, as 0020 did
      row('req_a3', 'new', 'h1'), // a second answer for `new` in the same call: the first won
      row('req_a4', null), // no key: an audit entry only
      row('req_a5', 'claimed-before', 'h0'), // claims a key already held: lost
    ]);
    expect(lost).toEqual([2, 4]);
    expect(await entries('req_a')).toEqual(['req_a1', 'req_a2', 'req_a4']);
    expect(await stored('new')).toEqual([
      { request_hash: 'h1', state: 'done', response_status: 201, response_body: { request: 'req_a1' } },
    ]);
    expect(await stored('claimed-before')).toEqual([
      { request_hash: 'h0', state: 'done', response_status: 201, response_body: { request: 'req_a2' } },
    ]);
    // Later, the same key again: lost, and nothing changes.
    expect(await write([row('req_b1', 'new', 'h1')])).toEqual([0]);
    expect(await entries('req_b')).toEqual([]);
    expect(await stored('new')).toHaveLength(1);
  });

  it('gated: refuses the whole statement with CP409, naming the rows that lost', async () => {
    await write([row('req_c1', 'gated-taken', 'h1')]);
    const error = await db.pool
      .query('SELECT audit_write_rows_gated($1::jsonb)', [
        JSON.stringify([row('req_d1', 'gated-free', 'h2'), row('req_d2', 'gated-taken', 'h2')]),
      ])
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CP409' });
    expect(JSON.parse((error as { detail: string }).detail)).toEqual({
      fn: 'audit_write_rows_gated',
      rows: [1],
    });
    // Rolled back whole: the free key was not taken, no entry written.
    expect(await stored('gated-free')).toEqual([]);
    expect(await entries('req_d')).toEqual([]);
    await db.pool.query('SELECT audit_write_rows_gated($1::jsonb)', [
      JSON.stringify([row('req_e1', 'gated-free', 'h2')]),
    ]);
    expect(await entries('req_e')).toEqual(['req_e1']);
    expect(await stored('gated-free')).toMatchObject([{ request_hash: 'h2', state: 'done' }]);
  });

  it('is reversible', async () => {
    const kysely = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: db.url, max: 1 }) }),
    });
    const functions = async () =>
      (
        await db.pool.query<{ proname: string; result: string }>(
          `SELECT proname, pg_get_function_result(oid) AS result FROM pg_proc
            WHERE proname LIKE 'audit_write_rows%' ORDER BY proname`,
        )
      ).rows;
    const fillFactor = async () =>
      (
        await db.pool.query<{ reloptions: string[] | null }>(
          `SELECT reloptions FROM pg_class WHERE relname = 'idempotency_keys'`,
        )
      ).rows[0]?.reloptions ?? null;
    try {
      expect(await fillFactor()).toBeNull(); // the default: keys are mostly written once, complete
      await m0021.down(kysely);
      expect(await functions()).toEqual([{ proname: 'audit_write_rows', result: 'void' }]);
      expect(await fillFactor()).toEqual(['fillfactor=25']);
      await m0021.up(kysely);
      expect(await fillFactor()).toBeNull();
      expect(await functions()).toEqual([
        { proname: 'audit_write_rows', result: 'integer[]' },
        { proname: 'audit_write_rows_gated', result: 'void' },
      ]);
    } finally {
      await kysely.destroy();
    }
  });
});
