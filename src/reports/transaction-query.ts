/**
 * The SQL behind the operator's list of transactions. It mirrors the `operator_transactions` view
 * (migration 0008) branch by branch instead of selecting from it: a filter on the view's derived
 * columns (`type`, `status`) can't be proven false for a whole branch, so `type=deposit` would still
 * walk every transfer. Built per branch, a filter drops the branch it can't match and each branch
 * reads its own (created_at, id) index, newest first, and stops at the page size.
 */
import { ChatPayError } from '../shared/errors.ts';
import { parseAmount } from '../shared/money.ts';
import { createdRange } from './time-range.ts';

export const transactionTypes = [
  'deposit',
  'collection',
  'withdrawal',
  'transfer',
  'held_transfer',
  'adjustment',
] as const;
export type TransactionType = (typeof transactionTypes)[number];

export interface TransactionFilter {
  readonly currency?: string | undefined;
  readonly type?: TransactionType | undefined;
  /** A payment status; transfers are only ever `pending`, `succeeded` or `canceled`. */
  readonly status?: string | undefined;
  /** Payments only: transfers have no provider. */
  readonly provider?: string | undefined;
  /** The payment's user, or either side of a transfer. */
  readonly userId?: string | undefined;
  /** Inclusive. A date (`2026-11-23`) means that day's start, UTC. */
  readonly createdFrom?: string | undefined;
  /** Exclusive. A date means through the end of that day, UTC. */
  readonly createdTo?: string | undefined;
  /** Major units; needs `currency`. */
  readonly amountMin?: string | undefined;
  readonly amountMax?: string | undefined;
}

/** Where a page starts: strictly after this row in (created_at, id) DESC order. */
export interface Cursor {
  /** created_at as PostgreSQL prints it: microseconds kept (a JS Date would drop them). */
  readonly at: string;
  readonly id: string;
}

const paymentKinds: readonly string[] = ['deposit', 'collection', 'withdrawal'];
/** Deposits, collections and withdrawals are payments; the other types are ledger transfers. */
export const isPaymentType = (type: string): boolean => paymentKinds.includes(type);
const ledgerCodes: Readonly<Record<string, string>> = {
  transfer: 'p2p',
  held_transfer: 'p2p_held',
  adjustment: 'adjustment',
};
const ledgerBase = `t.code IN ('p2p', 'p2p_held', 'adjustment') AND t.kind IN ('posted', 'pending')`;
// The view's status of a transfer: a hold is pending until posted (succeeded) or voided (canceled).
const ledgerStatusCase = `CASE WHEN t.kind = 'posted' OR r.kind = 'post_pending' THEN 'succeeded'
  WHEN r.kind = 'void_pending' THEN 'canceled' ELSE 'pending' END`;
const ledgerStatus: Readonly<Record<string, string>> = {
  succeeded: `(t.kind = 'posted' OR r.kind = 'post_pending')`,
  canceled: `r.kind = 'void_pending'`,
  pending: `(t.kind = 'pending' AND r.id IS NULL)`,
};

// Ids compare with COLLATE "C" on both sides: ledger ids are "C", payments' ids the database default,
// and a union of two collations can't be ordered. Payments' (created_at, id) index still serves the
// scan; ties on created_at get a cheap incremental sort.
const paymentColumns = `p.id COLLATE "C" AS id, p.kind AS type, p.status, p.provider, p.currency,
  p.amount::text AS amount, p.fee::text AS fee, p.user_id, NULL::text AS counterparty_user_id,
  p.merchant_id, p.created_at, p.created_at::text AS cursor_at`;
// Held transfers address a handle (@name, a phone) until claimed: only a user id is a user. An
// adjustment has one user, on whichever side the money moves; the other side is the platform.
const ledgerColumns = `t.id, CASE t.code WHEN 'adjustment' THEN 'adjustment' WHEN 'p2p_held' THEN 'held_transfer'
    ELSE 'transfer' END AS type,
  ${ledgerStatusCase} AS status, NULL::text AS provider, t.currency, t.amount::text AS amount, '0' AS fee,
  CASE WHEN t.code = 'adjustment' THEN coalesce(t.metadata->>'from', t.metadata->>'to')
    ELSE t.metadata->>'from' END AS user_id,
  CASE WHEN t.code <> 'adjustment' AND left(t.metadata->>'to', 4) = 'usr_' THEN t.metadata->>'to' END
    AS counterparty_user_id,
  NULL::text AS merchant_id, t.created_at, t.created_at::text AS cursor_at`;
const ledgerFrom = 'ledger_transfers t LEFT JOIN ledger_transfers r ON r.pending_id = t.id';

/** A filter compiled to WHERE conditions per branch; `null`: the branch can't match. */
export class CompiledFilter {
  readonly params: unknown[] = [];
  payments: string[] | null = [];
  ledger: string[] | null = [];

  bind(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  /** A copy to add a page's own conditions to, leaving this one reusable. */
  clone(): CompiledFilter {
    const copy = new CompiledFilter();
    copy.params.push(...this.params);
    copy.payments = this.payments && [...this.payments];
    copy.ledger = this.ledger && [...this.ledger];
    return copy;
  }
}

function invalid(param: string, message: string): ChatPayError {
  return new ChatPayError('validation_failed', { param, message });
}

/** Checks and compiles a filter. Bad input is refused here, before any row is read or streamed. */
export function compileFilter(filter: TransactionFilter): CompiledFilter {
  const q = new CompiledFilter();
  if (filter.currency !== undefined) {
    const c = q.bind(filter.currency);
    q.payments?.push(`p.currency = ${c}`);
    q.ledger?.push(`t.currency = ${c}`);
  }
  if (filter.type !== undefined) compileType(q, filter.type);
  if (filter.status !== undefined) {
    q.payments?.push(`p.status = ${q.bind(filter.status)}`);
    const condition = ledgerStatus[filter.status];
    if (condition) q.ledger?.push(condition);
    else q.ledger = null;
  }
  if (filter.provider !== undefined) {
    q.payments?.push(`p.provider = ${q.bind(filter.provider)}`);
    q.ledger = null;
  }
  if (filter.userId !== undefined) {
    const u = q.bind(filter.userId);
    q.payments?.push(`p.user_id = ${u}`);
    q.ledger?.push(`(t.metadata->>'from' = ${u} OR t.metadata->>'to' = ${u})`);
  }
  compileDates(q, filter);
  compileAmounts(q, filter);
  return q;
}

function compileType(q: CompiledFilter, type: string): void {
  if (isPaymentType(type)) {
    q.payments?.push(`p.kind = ${q.bind(type)}`);
    q.ledger = null;
    return;
  }
  const code = ledgerCodes[type];
  if (!code) throw invalid('type', `type must be one of ${transactionTypes.join(', ')}.`);
  q.ledger?.push(`t.code = ${q.bind(code)}`);
  q.payments = null;
}

function compileDates(q: CompiledFilter, filter: TransactionFilter): void {
  const { from, to } = createdRange(filter.createdFrom, filter.createdTo);
  if (from !== undefined) {
    const f = q.bind(from);
    q.payments?.push(`p.created_at >= ${f}::timestamptz`);
    q.ledger?.push(`t.created_at >= ${f}::timestamptz`);
  }
  if (to !== undefined) {
    const t = q.bind(to);
    q.payments?.push(`p.created_at < ${t}::timestamptz`);
    q.ledger?.push(`t.created_at < ${t}::timestamptz`);
  }
}

function compileAmounts(q: CompiledFilter, filter: TransactionFilter): void {
  const bounds = [
    ['amount_min', filter.amountMin, '>='],
    ['amount_max', filter.amountMax, '<='],
  ] as const;
  const parsed: bigint[] = [];
  for (const [param, value, operator] of bounds) {
    if (value === undefined) continue;
    // An amount means nothing without its currency: 100 KES and 100 BTC are not comparable.
    if (filter.currency === undefined) throw invalid(param, `${param} needs currency.`);
    const minor = parseAmount(value, filter.currency, { param });
    parsed.push(minor);
    const a = q.bind(minor.toString());
    q.payments?.push(`p.amount ${operator} ${a}::numeric`);
    q.ledger?.push(`t.amount ${operator} ${a}::numeric`);
  }
  const [min, max] = parsed;
  if (filter.amountMin !== undefined && filter.amountMax !== undefined && (min as bigint) > (max as bigint)) {
    throw invalid('amount_max', 'amount_max is below amount_min.');
  }
}

/** Adds an upper bound on created_at (exclusive) to a compiled filter. */
export function createdBefore(q: CompiledFilter, instant: Date): void {
  const t = q.bind(instant.toISOString());
  q.payments?.push(`p.created_at < ${t}::timestamptz`);
  q.ledger?.push(`t.created_at < ${t}::timestamptz`);
}

function after(q: CompiledFilter, cursor: Cursor): void {
  const at = q.bind(cursor.at);
  const id = q.bind(cursor.id);
  q.payments?.push(`p.created_at <= ${at}::timestamptz`);
  q.payments?.push(`(p.created_at < ${at}::timestamptz OR p.id COLLATE "C" < ${id})`);
  q.ledger?.push(`t.created_at <= ${at}::timestamptz`);
  q.ledger?.push(`(t.created_at < ${at}::timestamptz OR t.id < ${id})`);
}

const where = (conditions: readonly string[]) =>
  conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;

/** One page: each branch's newest `limit` rows after the cursor, merged. */
export function pageQuery(
  filter: CompiledFilter,
  cursor: Cursor | undefined,
  limit: number,
): { text: string; values: unknown[] } {
  const q = filter.clone();
  if (cursor) after(q, cursor);
  const n = q.bind(limit);
  const branches: string[] = [];
  if (q.payments) {
    branches.push(`(SELECT ${paymentColumns} FROM payments p ${where(q.payments)}
      ORDER BY p.created_at DESC, p.id COLLATE "C" DESC LIMIT ${n})`);
  }
  if (q.ledger) {
    branches.push(`(SELECT ${ledgerColumns} FROM ${ledgerFrom} ${where([ledgerBase, ...q.ledger])}
      ORDER BY t.created_at DESC, t.id DESC LIMIT ${n})`);
  }
  if (branches.length === 0) return { text: 'SELECT NULL WHERE false', values: [] };
  return {
    text: `SELECT * FROM (${branches.join(' UNION ALL ')}) x ORDER BY created_at DESC, id DESC LIMIT ${n}`,
    values: q.params,
  };
}

/** How many rows match, counting no further than `max` per branch (an export's cap check). */
export function countQuery(filter: CompiledFilter, max: number): { text: string; values: unknown[] } {
  const q = filter.clone();
  const n = q.bind(max);
  const parts: string[] = ['0'];
  if (q.payments) {
    parts.push(`(SELECT count(*) FROM (SELECT 1 FROM payments p ${where(q.payments)} LIMIT ${n}) a)`);
  }
  if (q.ledger) {
    parts.push(
      `(SELECT count(*) FROM (SELECT 1 FROM ${ledgerFrom} ${where([ledgerBase, ...q.ledger])} LIMIT ${n}) b)`,
    );
  }
  return { text: `SELECT (${parts.join(' + ')})::int AS n`, values: q.params };
}

/** One item by id, from whichever branch has it. */
export function itemQuery(id: string): { text: string; values: unknown[] } {
  return {
    text: `SELECT ${paymentColumns} FROM payments p WHERE p.id = $1
      UNION ALL
      SELECT ${ledgerColumns} FROM ${ledgerFrom} WHERE ${ledgerBase} AND t.id = $1`,
    values: [id],
  };
}
