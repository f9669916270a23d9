/**
 * Frozen users: an operator (admin or support) stops a person from moving money out — transfers,
 * withdrawals, deposits they start — with a reason, until an operator unfreezes them. Money coming in
 * (someone else's transfer, a deposit already under way, a held transfer claimed) still lands: a
 * refused credit would bounce back to the sender or sit with a provider, and a frozen wallet that
 * grows is easier to investigate than money stranded outside it.
 */
import pg from 'pg';
import { Batcher, batcherFor } from '../db/batcher.ts';
import type { Pool, PoolClient } from '../db/pool.ts';
import { ChatPayError } from '../shared/errors.ts';

export interface FreezeState {
  readonly userId: string;
  readonly frozenAt: Date | null;
  readonly frozenReason: string | null;
}

/**
 * Refuses with `user_frozen` when the user is frozen. With `lock` (inside the caller's transaction)
 * it holds a share lock on the user's row until that transaction ends, so a freeze that commits
 * first is seen, and one that comes later waits for the money movement to commit: either way the
 * order is one an operator can reason about.
 */
export async function assertNotFrozen(
  db: Pool | PoolClient,
  userId: string,
  options: { readonly lock?: boolean } = {},
): Promise<void> {
  const lock = options.lock === true;
  // On the hot path of every send: one statement for all the checks waiting at that moment.
  const frozen =
    !lock && db instanceof pg.Pool ? await frozenChecks(db).submit(userId) : await isFrozen(db, userId, lock);
  if (frozen) throw new ChatPayError('user_frozen');
}

async function isFrozen(db: Pool | PoolClient, userId: string, lock: boolean): Promise<boolean> {
  const { rows } = await db.query<{ frozen: boolean }>({
    name: lock ? 'users_frozen_locked' : 'users_frozen',
    text: `SELECT frozen_at IS NOT NULL AS frozen FROM users WHERE id = $1${lock ? ' FOR SHARE' : ''}`,
    values: [userId],
  });
  return rows[0]?.frozen === true;
}

function frozenChecks(pool: Pool): Batcher<string, boolean> {
  return batcherFor(
    pool,
    'users_frozen',
    () =>
      new Batcher<string, boolean>({
        inFlightMax: 2,
        one: (userId) => isFrozen(pool, userId, false),
        run: async (userIds) => {
          const { rows } = await pool.query<{ id: string }>({
            name: 'users_frozen_batch',
            text: 'SELECT id FROM users WHERE id = ANY($1::text[]) AND frozen_at IS NOT NULL',
            values: [userIds],
          });
          const frozen = new Set(rows.map((r) => r.id));
          return userIds.map((id) => frozen.has(id));
        },
      }),
  );
}

/** Freezes a user; `user_already_frozen` when they are, `user_not_found` when there is no such user. */
export async function freezeUser(pool: Pool, userId: string, reason: string): Promise<FreezeState> {
  const { rows } = await pool.query<FreezeRow>(
    `UPDATE users SET frozen_at = now(), frozen_reason = $2 WHERE id = $1 AND frozen_at IS NULL
     RETURNING id, frozen_at, frozen_reason`,
    [userId, reason],
  );
  if (rows[0]) return stateOf(rows[0]);
  await freezeState(pool, userId); // throws user_not_found
  throw new ChatPayError('user_already_frozen');
}

/** Unfreezes a user; `user_not_frozen` when they aren't frozen. The reason lives in the audit log. */
export async function unfreezeUser(pool: Pool, userId: string): Promise<FreezeState> {
  const { rows } = await pool.query<FreezeRow>(
    `UPDATE users SET frozen_at = NULL, frozen_reason = NULL WHERE id = $1 AND frozen_at IS NOT NULL
     RETURNING id, frozen_at, frozen_reason`,
    [userId],
  );
  if (rows[0]) return stateOf(rows[0]);
  await freezeState(pool, userId);
  throw new ChatPayError('user_not_frozen');
}

export async function freezeState(pool: Pool, userId: string): Promise<FreezeState & { role: string }> {
  const { rows } = await pool.query<FreezeRow & { role: string }>(
    'SELECT id, frozen_at, frozen_reason, role FROM users WHERE id = $1',
    [userId],
  );
  if (!rows[0]) throw new ChatPayError('user_not_found');
  return { ...stateOf(rows[0]), role: rows[0].role };
}

interface FreezeRow {
  id: string;
  frozen_at: Date | null;
  frozen_reason: string | null;
}

function stateOf(row: FreezeRow): FreezeState {
  return { userId: row.id, frozenAt: row.frozen_at, frozenReason: row.frozen_reason };
}
