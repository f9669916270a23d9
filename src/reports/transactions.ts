/**
 * The operator's list of transactions: every payment (deposit, collection, withdrawal) and every
 * movement between people (transfer, held transfer, adjustment), one item each, newest first.
 */
import type { Pool } from '../db/pool.ts';
import { type PaymentStatus, transferIds } from '../payments/index.ts';
import { ChatPayError } from '../shared/errors.ts';
import { formatAmount } from '../shared/money.ts';
import {
  type CompiledFilter,
  type Cursor,
  compileFilter,
  countQuery,
  createdBefore,
  isPaymentType,
  itemQuery,
  pageQuery,
  type TransactionFilter,
  type TransactionType,
} from './transaction-query.ts';

export interface TransactionItem {
  readonly id: string;
  readonly object: 'transaction';
  readonly type: TransactionType;
  /** A payment's status; a transfer's is `pending`, `succeeded` or `canceled`. */
  readonly status: PaymentStatus;
  readonly provider: string | null;
  readonly amount: string;
  readonly fee: string;
  readonly currency: string;
  readonly user_id: string | null;
  readonly counterparty_user_id: string | null;
  readonly merchant_id: string | null;
  readonly created_at: string;
}

export interface LedgerTransferItem {
  readonly id: string;
  readonly object: 'ledger_transfer';
  readonly kind: 'posted' | 'pending' | 'post_pending' | 'void_pending';
  readonly code: string;
  readonly debit_account_id: string;
  readonly credit_account_id: string;
  readonly amount: string;
  readonly currency: string;
  readonly pending_id: string | null;
  readonly reverses_id: string | null;
  readonly created_at: string;
}

export interface TransactionDetail extends TransactionItem {
  readonly ledger_transfers: LedgerTransferItem[];
}

interface ItemRow {
  id: string;
  type: TransactionType;
  status: PaymentStatus;
  provider: string | null;
  currency: string;
  amount: string;
  fee: string;
  user_id: string | null;
  counterparty_user_id: string | null;
  merchant_id: string | null;
  created_at: Date;
  cursor_at: string;
}

/** Exports read in keyset batches of this many rows (no connection held between batches). */
const exportBatchRows = 1_000;

function itemOf(r: ItemRow): TransactionItem {
  return {
    id: r.id,
    object: 'transaction',
    type: r.type,
    status: r.status,
    provider: r.provider,
    amount: formatAmount(BigInt(r.amount), r.currency),
    fee: formatAmount(BigInt(r.fee), r.currency),
    currency: r.currency,
    user_id: r.user_id,
    counterparty_user_id: r.counterparty_user_id,
    merchant_id: r.merchant_id,
    created_at: r.created_at.toISOString(),
  };
}

async function readPage(pool: Pool, filter: CompiledFilter, cursor: Cursor | undefined, limit: number) {
  const { rows } = await pool.query<ItemRow>(pageQuery(filter, cursor, limit));
  return rows;
}

/** Where `starting_after` points; an id that is no item is the caller's mistake, not an empty page. */
async function cursorOf(pool: Pool, id: string): Promise<Cursor> {
  const { rows } = await pool.query<ItemRow>(itemQuery(id));
  const row = rows[0];
  if (!row)
    throw new ChatPayError('validation_failed', { param: 'starting_after', message: 'Unknown cursor.' });
  return { at: row.cursor_at, id: row.id };
}

/**
 * Up to `rows` items, newest first, keyset-paginated on (created_at, id): no gaps or repeats as rows
 * arrive. Callers ask one more than they show, for `has_more` (`pageOf`).
 */
export async function listOperatorTransactions(
  pool: Pool,
  filter: TransactionFilter,
  page: { readonly rows: number; readonly startingAfter?: string | undefined },
): Promise<TransactionItem[]> {
  const compiled = compileFilter(filter);
  const cursor = page.startingAfter === undefined ? undefined : await cursorOf(pool, page.startingAfter);
  return (await readPage(pool, compiled, cursor, page.rows)).map(itemOf);
}

export interface TransactionExport {
  /** Matching rows; the export refuses more than the cap rather than silently cutting a finance file. */
  readonly count: number;
  readonly rows: AsyncIterable<TransactionItem>;
}

/**
 * Every matching row, for a file. Checks the filter and the row count before the first byte, so bad
 * input is a 400 and not a broken download. Rows are read in keyset batches on the pool (no
 * connection is held while the client downloads), up to the instant the export started: rows
 * created during the download are not half-included.
 */
export async function exportOperatorTransactions(
  pool: Pool,
  filter: TransactionFilter,
  options: { readonly rowsMax: number; readonly now?: Date },
): Promise<TransactionExport> {
  const compiled = compileFilter(filter);
  createdBefore(compiled, options.now ?? new Date());
  const { rows } = await pool.query<{ n: number }>(countQuery(compiled, options.rowsMax + 1));
  const count = rows[0]?.n ?? 0;
  if (count > options.rowsMax) {
    throw new ChatPayError('export_too_large', {
      message: `More than ${options.rowsMax} transactions match; narrow the filters (for example the dates).`,
    });
  }
  return { count, rows: batches(pool, compiled) };
}

async function* batches(pool: Pool, compiled: CompiledFilter): AsyncGenerator<TransactionItem> {
  let cursor: Cursor | undefined;
  for (;;) {
    const rows = await readPage(pool, compiled, cursor, exportBatchRows);
    for (const row of rows) yield itemOf(row);
    const last = rows.at(-1);
    if (!last || rows.length < exportBatchRows) return;
    cursor = { at: last.cursor_at, id: last.id };
  }
}

interface LedgerRow {
  id: string;
  kind: LedgerTransferItem['kind'];
  code: string;
  debit_account_id: string;
  credit_account_id: string;
  amount: string;
  currency: string;
  pending_id: string | null;
  reverses_id: string | null;
  created_at: Date;
}

/**
 * A payment's ledger transfers have ids derived from its own (settle.ts) and from its refunds'; a
 * transfer's are itself and what resolved or reversed it. Looked up by id: every lookup is indexed.
 */
const ledgerOfPayment = `WITH ids AS (
    SELECT unnest($1::text[]) AS id
    UNION ALL
    SELECT r.id || s.suffix FROM refunds r, (VALUES ('_hold'), ('_post'), ('_void')) s (suffix)
     WHERE r.payment_id = $2)
  SELECT t.id, t.kind, t.code, t.debit_account_id, t.credit_account_id, t.amount::text, t.currency,
         t.pending_id, t.reverses_id, t.created_at
    FROM ledger_transfers t
   WHERE t.id IN (SELECT id FROM ids) OR t.reverses_id IN (SELECT id FROM ids)
   ORDER BY t.seq`;

const ledgerOfTransfer = `SELECT t.id, t.kind, t.code, t.debit_account_id, t.credit_account_id, t.amount::text,
         t.currency, t.pending_id, t.reverses_id, t.created_at
    FROM ledger_transfers t
   WHERE t.id = $1 OR t.pending_id = $1 OR t.reverses_id = $1
   ORDER BY t.seq`;

/** One item with the ledger transfers behind it. */
export async function transactionDetail(pool: Pool, id: string): Promise<TransactionDetail> {
  const { rows } = await pool.query<ItemRow>(itemQuery(id));
  const row = rows[0];
  if (!row) throw new ChatPayError('transaction_not_found');
  const isPayment = isPaymentType(row.type);
  const ledger = isPayment
    ? await pool.query<LedgerRow>(ledgerOfPayment, [Object.values(transferIds(row.id)), row.id])
    : await pool.query<LedgerRow>(ledgerOfTransfer, [row.id]);
  return {
    ...itemOf(row),
    ledger_transfers: ledger.rows.map((t) => ({
      id: t.id,
      object: 'ledger_transfer',
      kind: t.kind,
      code: t.code,
      debit_account_id: t.debit_account_id,
      credit_account_id: t.credit_account_id,
      amount: formatAmount(BigInt(t.amount), t.currency),
      currency: t.currency,
      pending_id: t.pending_id,
      reverses_id: t.reverses_id,
      created_at: t.created_at.toISOString(),
    })),
  };
}
