/**
 * Frozen users: an operator (admin or support) stops a person from moving money out — transfers,
 * withdrawals, deposits they start — with a reason, until an operator unfreezes them. Money coming in
 * (someone else's transfer, a deposit already under way, a held transfer claimed) still lands: a
 * refused credit would bounce back to the sender or sit with a provider, and a frozen wallet that
 * grows is easier to investigate than money stranded outside it.
 */
import { inTransaction, type Pool, type PoolClient } from '../db/pool.ts';
import { setOwnerDebitsFrozen } from '../ledger/index.ts';
import { ChatPayError } from '../shared/errors.ts';

export interface FreezeState {
  readonly userId: string;
  readonly frozenAt: Date | null;
  readonly frozenReason: string | null;
}

/**
 * Sends and held sends don't call this, and a withdrawal's hold doesn't need it: a freeze also
 * freezes the debits of the user's wallets in the ledger (below), and those ask the ledger to refuse
 * frozen debits in the very batch that would move the money, so no freeze can slip between a check
 * and the money moving. Withdrawals still call it, locked, as they record the payment, and before
 * an operator approves one.
 *
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
  if (await isFrozen(db, userId, options.lock === true)) throw new ChatPayError('user_frozen');
}

async function isFrozen(db: Pool | PoolClient, userId: string, lock: boolean): Promise<boolean> {
  const { rows } = await db.query<{ frozen: boolean }>({
    name: lock ? 'users_frozen_locked' : 'users_frozen',
    text: `SELECT frozen_at IS NOT NULL AS frozen FROM users WHERE id = $1${lock ? ' FOR SHARE' : ''}`,
    values: [userId],
  });
  return rows[0]?.frozen === true;
}

/**
 * Freezes a user; `user_already_frozen` when they are, `user_not_found` when there is no such user.
 * The user's row and their wallets' frozen debits change in one transaction. A wallet opened while
 * this runs is frozen by `freezeNewWallet` (it waits for this transaction, then sees the freeze).
 */
export async function freezeUser(pool: Pool, userId: string, reason: string): Promise<FreezeState> {
  const row = await inTransaction(pool, async (client) => {
    const { rows } = await client.query<FreezeRow>(
      `UPDATE users SET frozen_at = now(), frozen_reason = $2 WHERE id = $1 AND frozen_at IS NULL
       RETURNING id, frozen_at, frozen_reason`,
      [userId, reason],
    );
    if (rows[0]) await setOwnerDebitsFrozen(client, userId, 'wallet', true);
    return rows[0];
  });
  if (row) return stateOf(row);
  await freezeState(pool, userId); // throws user_not_found
  throw new ChatPayError('user_already_frozen');
}

/** Unfreezes a user; `user_not_frozen` when they aren't frozen. The reason lives in the audit log. */
export async function unfreezeUser(pool: Pool, userId: string): Promise<FreezeState> {
  const row = await inTransaction(pool, async (client) => {
    const { rows } = await client.query<FreezeRow>(
      `UPDATE users SET frozen_at = NULL, frozen_reason = NULL WHERE id = $1 AND frozen_at IS NOT NULL
       RETURNING id, frozen_at, frozen_reason`,
      [userId],
    );
    if (rows[0]) await setOwnerDebitsFrozen(client, userId, 'wallet', false);
    return rows[0];
  });
  if (row) return stateOf(row);
  await freezeState(pool, userId);
  throw new ChatPayError('user_not_frozen');
}

/**
 * A wallet just opened for a frozen user is frozen too. Runs after the wallet's row has committed;
 * it reads the user's row under a share lock, so a freeze in progress is waited for and then seen.
 * Either the freeze's own update saw the new wallet, or this does: no order leaves a frozen user an
 * unfrozen wallet. The flag is set as a freeze sets it (the ledger's `setOwnerDebitsFrozen`).
 */
export async function freezeNewWallet(pool: Pool, userId: string): Promise<void> {
  await inTransaction(pool, async (client) => {
    if (await isFrozen(client, userId, true)) await setOwnerDebitsFrozen(client, userId, 'wallet', true);
  });
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
