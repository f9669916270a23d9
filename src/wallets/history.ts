import type { Pool } from '../db/pool.ts';
import { ChatPayError } from '../shared/errors.ts';
import { formatAmount } from '../shared/money.ts';

export type TransactionStatus = 'pending' | 'succeeded' | 'canceled';

export interface TransactionQuery {
  readonly currency?: string | undefined;
  readonly type?: string | undefined;
  readonly status?: TransactionStatus | undefined;
  readonly createdFrom?: Date | undefined;
  readonly createdTo?: Date | undefined;
  readonly limit: number;
  readonly startingAfter?: string | undefined;
}

export interface TransactionView {
  readonly id: string;
  readonly object: 'transaction';
  readonly type: string;
  readonly direction: 'in' | 'out';
  readonly amount: string;
  readonly currency: string;
  readonly counterparty: { readonly user_id: string | null; readonly kind: string };
  readonly status: TransactionStatus;
  readonly created_at: string;
}

interface Row {
  id: string;
  seq: string;
  code: string;
  currency: string;
  amount: string;
  outgoing: boolean;
  counterparty_owner: string | null;
  counterparty_kind: string;
  status: TransactionStatus;
  created_at: Date;
}

/**
 * Every movement of a user's wallets, newest first. A hold and what resolved it show as one item:
 * `pending` until posted (`succeeded`, with the posted amount) or voided (`canceled`).
 */
export async function listTransactions(
  pool: Pool,
  walletIds: readonly string[],
  query: TransactionQuery,
): Promise<{ data: TransactionView[]; has_more: boolean }> {
  let afterSeq: string | null = null;
  if (query.startingAfter !== undefined) {
    const { rows } = await pool.query<{ seq: string }>(
      'SELECT seq::text FROM ledger_transfers WHERE id = $1 AND (debit_account_id = ANY($2) OR credit_account_id = ANY($2))',
      [query.startingAfter, walletIds],
    );
    if (!rows[0])
      throw new ChatPayError('validation_failed', { param: 'starting_after', message: 'Unknown cursor.' });
    afterSeq = rows[0].seq;
  }
  if (walletIds.length === 0) return { data: [], has_more: false };
  const { rows } = await pool.query<Row>(
    `SELECT * FROM (
       SELECT t.id, t.seq::text, t.code, t.currency, coalesce(r.amount, t.amount)::text AS amount,
              t.debit_account_id = ANY($1) AS outgoing,
              o.owner_id AS counterparty_owner, o.kind AS counterparty_kind,
              CASE WHEN t.kind = 'posted' OR r.kind = 'post_pending' THEN 'succeeded'
                   WHEN r.kind = 'void_pending' THEN 'canceled' ELSE 'pending' END AS status,
              t.created_at
         FROM ledger_transfers t
         LEFT JOIN ledger_transfers r ON r.pending_id = t.id
         JOIN ledger_accounts o ON o.id = CASE WHEN t.debit_account_id = ANY($1) THEN t.credit_account_id ELSE t.debit_account_id END
        WHERE (t.debit_account_id = ANY($1) OR t.credit_account_id = ANY($1))
          AND t.kind IN ('posted', 'pending')
          AND ($2::bigint IS NULL OR t.seq < $2::bigint)
          AND ($3::text IS NULL OR t.currency = $3)
          AND ($4::text IS NULL OR t.code = $4)
          AND ($5::timestamptz IS NULL OR t.created_at >= $5)
          AND ($6::timestamptz IS NULL OR t.created_at < $6)
     ) x
     WHERE ($7::text IS NULL OR x.status = $7)
     ORDER BY x.seq::bigint DESC
     LIMIT $8`,
    [
      walletIds,
      afterSeq,
      query.currency ?? null,
      query.type ?? null,
      query.createdFrom ?? null,
      query.createdTo ?? null,
      query.status ?? null,
      query.limit + 1,
    ],
  );
  const page = rows.slice(0, query.limit);
  return {
    data: page.map((r) => ({
      id: r.id,
      object: 'transaction',
      type: r.code,
      direction: r.outgoing ? 'out' : 'in',
      amount: formatAmount(BigInt(r.amount), r.currency),
      currency: r.currency,
      counterparty: {
        user_id: r.counterparty_kind === 'wallet' ? r.counterparty_owner : null,
        kind: r.counterparty_kind,
      },
      status: r.status,
      created_at: r.created_at.toISOString(),
    })),
    has_more: rows.length > query.limit,
  };
}
