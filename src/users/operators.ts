/**
 * Operator accounts as admins manage them: list, create (with a one-time password, as `chatpay admin
 * create` does), change role, reset TOTP. The callers end the operator's console sessions after a
 * change, so the new role (or the new enrolment) applies from the next request.
 */
import { randomBytes } from 'node:crypto';
import { inTransaction, type Pool } from '../db/pool.ts';
import { ChatPayError } from '../shared/errors.ts';
import type { Role, Users } from './users.ts';

export interface OperatorView {
  readonly id: string;
  readonly object: 'operator';
  readonly email: string | null;
  readonly role: Role;
  /** False until the operator confirms a first authenticator code (and again after a reset). */
  readonly totp_enrolled: boolean;
  readonly created_at: string;
}

interface OperatorRow {
  id: string;
  email: string | null;
  role: Role;
  totp_enrolled: boolean;
  created_at: Date;
}

const operatorColumns = 'id, email, role, totp_secret IS NOT NULL AS totp_enrolled, created_at';

function operatorView(row: OperatorRow): OperatorView {
  return {
    id: row.id,
    object: 'operator',
    email: row.email,
    role: row.role,
    totp_enrolled: row.totp_enrolled,
    created_at: row.created_at.toISOString(),
  };
}

/** Operators, newest first (ids sort by creation time). */
export async function listOperators(
  pool: Pool,
  page: { readonly limit: number; readonly startingAfter?: string | undefined },
): Promise<OperatorView[]> {
  const { rows } = await pool.query<OperatorRow>(
    `SELECT ${operatorColumns} FROM users
      WHERE role <> 'user' AND ($1::text IS NULL OR id < $1) ORDER BY id DESC LIMIT $2`,
    [page.startingAfter ?? null, page.limit],
  );
  return rows.map(operatorView);
}

export async function getOperator(pool: Pool, id: string): Promise<OperatorView> {
  const { rows } = await pool.query<OperatorRow>(
    `SELECT ${operatorColumns} FROM users WHERE id = $1 AND role <> 'user'`,
    [id],
  );
  if (!rows[0]) throw new ChatPayError('operator_not_found');
  return operatorView(rows[0]);
}

/** A new operator with a random password, returned this once (they enrol TOTP at first sign-in). */
export async function createOperator(
  pool: Pool,
  users: Users,
  input: { readonly email: string; readonly role: Role },
): Promise<{ operator: OperatorView; password: string }> {
  // 144 random bits, as the CLI makes them: typed once, then changed.
  const password = randomBytes(18).toString('base64url');
  const user = await users.register({ email: input.email, password, role: input.role });
  return { operator: await getOperator(pool, user.id), password };
}

/**
 * Changes an operator's role. Nobody changes their own role, and the last admin can't be demoted.
 * Every admin row is locked first, so two admins demoting each other at once are decided one after
 * the other: the second finds it is no longer an admin and is refused.
 */
export async function changeRole(
  pool: Pool,
  input: { readonly actorId: string; readonly operatorId: string; readonly role: Role },
): Promise<{ before: OperatorView; after: OperatorView }> {
  return inTransaction(pool, async (client) => {
    const admins = await client.query<{ id: string }>(
      `SELECT id FROM users WHERE role = 'admin' ORDER BY id FOR UPDATE`,
    );
    const adminIds = new Set(admins.rows.map((r) => r.id));
    if (!adminIds.has(input.actorId)) throw new ChatPayError('forbidden');
    const { rows } = await client.query<OperatorRow>(
      `SELECT ${operatorColumns} FROM users WHERE id = $1 AND role <> 'user' FOR UPDATE`,
      [input.operatorId],
    );
    const target = rows[0];
    if (!target) throw new ChatPayError('operator_not_found');
    const demotesAdmin = target.role === 'admin' && input.role !== 'admin';
    if (demotesAdmin && adminIds.size <= 1) throw new ChatPayError('last_admin');
    if (input.operatorId === input.actorId && input.role !== target.role) {
      throw new ChatPayError('operator_self_action', { message: 'Another admin must change your role.' });
    }
    const updated = await client.query<OperatorRow>(
      `UPDATE users SET role = $2 WHERE id = $1 RETURNING ${operatorColumns}`,
      [input.operatorId, input.role],
    );
    return { before: operatorView(target), after: operatorView(updated.rows[0] as OperatorRow) };
  });
}

/** Clears an operator's TOTP secret: their next sign-in enrols a new authenticator. */
export async function resetTotp(
  pool: Pool,
  input: { readonly actorId: string; readonly operatorId: string },
): Promise<OperatorView> {
  // Another admin does it: a stolen session alone must not be able to swap the second factor.
  if (input.actorId === input.operatorId) {
    throw new ChatPayError('operator_self_action', { message: 'Another admin must reset your TOTP.' });
  }
  const { rows } = await pool.query<OperatorRow>(
    `UPDATE users SET totp_secret = NULL, totp_last_step = NULL WHERE id = $1 AND role <> 'user'
     RETURNING ${operatorColumns}`,
    [input.operatorId],
  );
  if (!rows[0]) throw new ChatPayError('operator_not_found');
  return operatorView(rows[0]);
}
