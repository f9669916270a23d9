/**
 * Manual adjustments: an operator credits or debits a user's wallet against the platform's
 * adjustments account, with a reason, and nothing moves until a second operator approves
 * (maker-checker). The ledger transfer's id is fixed at the request, so an approval that is retried,
 * raced or interrupted by a crash moves the money once.
 */
import { inTransaction, type Pool, type PoolClient } from '../db/pool.ts';
import type { Ledger } from '../ledger/index.ts';
import { ChatPayError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { formatAmount } from '../shared/money.ts';
import type { Wallets } from './wallets.ts';

export type AdjustmentStatus = 'pending_approval' | 'approved' | 'rejected';
export type AdjustmentDirection = 'credit' | 'debit';

export interface AdjustmentView {
  readonly id: string;
  readonly object: 'adjustment';
  readonly user_id: string;
  readonly currency: string;
  readonly direction: AdjustmentDirection;
  readonly amount: string;
  readonly reason: string;
  readonly status: AdjustmentStatus;
  readonly requested_by: string;
  readonly decided_by: string | null;
  readonly decision_reason: string | null;
  readonly transfer_id: string;
  readonly created_at: string;
  readonly decided_at: string | null;
}

interface Row {
  id: string;
  user_id: string;
  currency: string;
  direction: AdjustmentDirection;
  amount: string;
  reason: string;
  status: AdjustmentStatus;
  requested_by: string;
  decided_by: string | null;
  decision_reason: string | null;
  transfer_id: string;
  created_at: Date;
  decided_at: Date | null;
}

function view(r: Row): AdjustmentView {
  return {
    id: r.id,
    object: 'adjustment',
    user_id: r.user_id,
    currency: r.currency,
    direction: r.direction,
    amount: formatAmount(BigInt(r.amount), r.currency),
    reason: r.reason,
    status: r.status,
    requested_by: r.requested_by,
    decided_by: r.decided_by,
    decision_reason: r.decision_reason,
    transfer_id: r.transfer_id,
    created_at: r.created_at.toISOString(),
    decided_at: r.decided_at?.toISOString() ?? null,
  };
}

/** The platform's side of every adjustment in a currency: no balance limits, reconciled by finance. */
export function adjustmentsAccountId(currency: string): string {
  return `adjustments_${currency}`;
}

export interface AdjustmentRequest {
  readonly userId: string;
  readonly currency: string;
  readonly direction: AdjustmentDirection;
  readonly amount: bigint;
  readonly reason: string;
  readonly requestedBy: string;
}

export class Adjustments {
  readonly #pool: Pool;
  readonly #ledger: Ledger;
  readonly #wallets: Wallets;

  constructor(options: { pool: Pool; ledger: Ledger; wallets: Wallets }) {
    this.#pool = options.pool;
    this.#ledger = options.ledger;
    this.#wallets = options.wallets;
  }

  async request(input: AdjustmentRequest): Promise<AdjustmentView> {
    const id = newId('adj');
    const { rows } = await this.#pool.query<Row>(
      `INSERT INTO adjustments (id, user_id, currency, direction, amount, reason, status, requested_by, transfer_id)
       SELECT $1, u.id, $3, $4, $5, $6, 'pending_approval', $7, $1 FROM users u WHERE u.id = $2 AND u.role = 'user'
       RETURNING *`,
      [
        id,
        input.userId,
        input.currency,
        input.direction,
        input.amount.toString(),
        input.reason,
        input.requestedBy,
      ],
    );
    if (!rows[0]) throw new ChatPayError('user_not_found', { param: 'user_id' });
    return view(rows[0]);
  }

  async get(id: string): Promise<AdjustmentView> {
    const { rows } = await this.#pool.query<Row>('SELECT * FROM adjustments WHERE id = $1', [id]);
    if (!rows[0]) throw new ChatPayError('adjustment_not_found');
    return view(rows[0]);
  }

  async list(filter: {
    status?: AdjustmentStatus | undefined;
    userId?: string | undefined;
    limit: number;
    startingAfter?: string | undefined;
  }): Promise<AdjustmentView[]> {
    if (filter.startingAfter !== undefined) {
      const cursor = await this.#pool.query('SELECT 1 FROM adjustments WHERE id = $1', [
        filter.startingAfter,
      ]);
      if (cursor.rowCount === 0) {
        throw new ChatPayError('validation_failed', { param: 'starting_after', message: 'Unknown cursor.' });
      }
    }
    const { rows } = await this.#pool.query<Row>(
      `SELECT * FROM adjustments
        WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR user_id = $2)
          AND ($3::text IS NULL OR (created_at, id) < (SELECT created_at, id FROM adjustments WHERE id = $3))
        ORDER BY created_at DESC, id DESC LIMIT $4`,
      [filter.status ?? null, filter.userId ?? null, filter.startingAfter ?? null, filter.limit],
    );
    return rows.map(view);
  }

  /**
   * Approves and posts. The row stays locked while the ledger posts, so a rejection can't slip in
   * between; if the process dies after posting, the next approval finds the transfer (`exists`) and
   * only records the decision, and a rejection refuses (the money already moved).
   */
  async approve(id: string, approverId: string, reason: string | undefined): Promise<AdjustmentView> {
    return this.#decide(id, approverId, async (row, client) => {
      const wallet = await this.#wallets.ensure(row.user_id, row.currency);
      const platform = adjustmentsAccountId(row.currency);
      await this.#ledger.createAccounts([
        {
          id: platform,
          currency: row.currency,
          kind: 'operating',
          metadata: { purpose: 'manual adjustments' },
        },
      ]);
      const credit = row.direction === 'credit';
      const [result] = await this.#ledger.createTransfers([
        {
          id: row.transfer_id,
          debitAccountId: credit ? platform : wallet,
          creditAccountId: credit ? wallet : platform,
          amount: BigInt(row.amount),
          currency: row.currency,
          code: 'adjustment',
          metadata: { adjustment: row.id, ...(credit ? { to: row.user_id } : { from: row.user_id }) },
        },
      ]);
      if (result?.result === 'exceeds_credits')
        throw new ChatPayError('insufficient_funds', { param: 'amount' });
      if (result?.result !== 'ok' && result?.result !== 'exists') {
        throw new Error(`adjustment ${row.id}: ledger answered ${result?.result}`);
      }
      return client.query<Row>(
        `UPDATE adjustments SET status = 'approved', decided_by = $2, decision_reason = $3, decided_at = now()
          WHERE id = $1 RETURNING *`,
        [row.id, approverId, reason ?? null],
      );
    });
  }

  async reject(id: string, deciderId: string, reason: string): Promise<AdjustmentView> {
    return this.#decide(id, deciderId, async (row, client) => {
      if (await this.#ledger.getTransfer(row.transfer_id)) {
        throw new ChatPayError('adjustment_not_pending', { message: 'This adjustment was already posted.' });
      }
      return client.query<Row>(
        `UPDATE adjustments SET status = 'rejected', decided_by = $2, decision_reason = $3, decided_at = now()
          WHERE id = $1 RETURNING *`,
        [row.id, deciderId, reason],
      );
    });
  }

  async #decide(
    id: string,
    deciderId: string,
    apply: (row: Row, client: PoolClient) => Promise<{ rows: Row[] }>,
  ): Promise<AdjustmentView> {
    const updated = await inTransaction(this.#pool, async (client) => {
      const { rows } = await client.query<Row>('SELECT * FROM adjustments WHERE id = $1 FOR UPDATE', [id]);
      const row = rows[0];
      if (!row) throw new ChatPayError('adjustment_not_found');
      if (row.requested_by === deciderId) throw new ChatPayError('approval_by_requester');
      if (row.status !== 'pending_approval') throw new ChatPayError('adjustment_not_pending');
      return apply(row, client);
    });
    const after = updated.rows[0];
    if (!after) throw new Error(`adjustment ${id} vanished`);
    return view(after);
  }
}
