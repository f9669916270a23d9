/**
 * Migration 0019 on existing data: the numbers of chat-only people (no password: their number can
 * only have come from a contact they shared as their own) count as verified; numbers typed at an API
 * registration don't, and stop claiming held money.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import * as m0019 from '../../src/db/migrations/0019-verified-phones.ts';
import { newId } from '../../src/shared/ids.ts';
import { freshDatabase } from '../helpers/database.ts';

const db = await freshDatabase(2);

describe('migration 0019', () => {
  it('verifies the numbers of chat-only people and not those typed at registration, and is reversible', async () => {
    const kysely = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: db.url, max: 1 }) }),
    });
    try {
      await m0019.down(kysely);
      const [chat, typed, none] = [newId('usr'), newId('usr'), newId('usr')];
      await db.pool.query(
        `INSERT INTO users (id, phone, password_hash) VALUES ($1, '+254700100001', NULL),
           ($2, '+254700100002', 'argon2-hash'), ($3, NULL, NULL)`,
        [chat, typed, none],
      );
      await m0019.up(kysely);
      const { rows } = await db.pool.query(
        `SELECT id, phone_verified_at IS NOT NULL AS verified FROM users WHERE id = ANY($1) ORDER BY phone NULLS LAST`,
        [[chat, typed, none]],
      );
      expect(rows).toEqual([
        { id: chat, verified: true },
        { id: typed, verified: false },
        { id: none, verified: false },
      ]);
    } finally {
      await kysely.destroy();
    }
  });
});
