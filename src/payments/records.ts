/**
 * Rows of the `payments` table and how the API shows them. One table holds deposits (into a user's
 * wallet), merchant collections and withdrawals: they share a life cycle and reconciliation.
 */
import type { Pool } from '../db/pool.ts';
import { formatAmount } from '../shared/money.ts';
import type { NextAction, ProviderId, ProviderMode } from './providers/provider.ts';

export type PaymentKind = 'deposit' | 'collection' | 'withdrawal';

export const paymentStatuses = [
  'requires_approval',
  'pending',
  'succeeded',
  'failed',
  'canceled',
  'expired',
  'rejected',
  'needs_review',
  'refunded',
] as const;
export type PaymentStatus = (typeof paymentStatuses)[number];

/** Statuses a payment never leaves (a refund of a succeeded payment is its own record). */
export const finalStatuses: readonly PaymentStatus[] = [
  'succeeded',
  'failed',
  'canceled',
  'expired',
  'rejected',
  'refunded',
];

export interface PaymentRecord {
  readonly id: string;
  readonly kind: PaymentKind;
  readonly provider: ProviderId;
  readonly mode: ProviderMode;
  readonly status: PaymentStatus;
  readonly userId: string | null;
  readonly merchantId: string | null;
  readonly accountId: string;
  readonly amount: bigint;
  readonly fee: bigint;
  readonly refunded: bigint;
  readonly currency: string;
  readonly providerId: string | null;
  readonly receipt: string | null;
  readonly payer: Readonly<Record<string, unknown>> | null;
  readonly destination: Readonly<Record<string, unknown>> | null;
  readonly metadata: Readonly<Record<string, unknown>> | null;
  readonly nextAction: NextAction | null;
  readonly failureCode: string | null;
  readonly failureMessage: string | null;
  readonly reviewReason: string | null;
  readonly requestedBy: string | null;
  readonly decidedBy: string | null;
  readonly decisionReason: string | null;
  readonly reconcileAt: Date;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly completedAt: Date | null;
}

export const paymentColumns = `id, kind, provider, mode, status, user_id, merchant_id, account_id, amount::text,
  fee::text, refunded::text, currency, provider_id, receipt, payer, destination, metadata, next_action,
  failure_code, failure_message, review_reason, requested_by, decided_by, decision_reason, reconcile_at,
  created_at, updated_at, completed_at`;

export interface PaymentRow {
  id: string;
  kind: PaymentKind;
  provider: ProviderId;
  mode: ProviderMode;
  status: PaymentStatus;
  user_id: string | null;
  merchant_id: string | null;
  account_id: string;
  amount: string;
  fee: string;
  refunded: string;
  currency: string;
  provider_id: string | null;
  receipt: string | null;
  payer: Record<string, unknown> | null;
  destination: Record<string, unknown> | null;
  metadata: Record<string, unknown> | null;
  next_action: NextAction | null;
  failure_code: string | null;
  failure_message: string | null;
  review_reason: string | null;
  requested_by: string | null;
  decided_by: string | null;
  decision_reason: string | null;
  reconcile_at: Date;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
}

export function toRecord(row: PaymentRow): PaymentRecord {
  return {
    id: row.id,
    kind: row.kind,
    provider: row.provider,
    mode: row.mode,
    status: row.status,
    userId: row.user_id,
    merchantId: row.merchant_id,
    accountId: row.account_id,
    amount: BigInt(row.amount),
    fee: BigInt(row.fee),
    refunded: BigInt(row.refunded),
    currency: row.currency,
    providerId: row.provider_id,
    receipt: row.receipt,
    payer: row.payer,
    destination: row.destination,
    metadata: row.metadata,
    nextAction: row.next_action,
    failureCode: row.failure_code,
    failureMessage: row.failure_message,
    reviewReason: row.review_reason,
    requestedBy: row.requested_by,
    decidedBy: row.decided_by,
    decisionReason: row.decision_reason,
    reconcileAt: row.reconcile_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
  };
}

export async function findPayment(pool: Pool, id: string): Promise<PaymentRecord | undefined> {
  // Named (planned once per connection): every payment step reads its payment back by id.
  const { rows } = await pool.query<PaymentRow>({
    name: 'payments_by_id',
    text: `SELECT ${paymentColumns} FROM payments WHERE id = $1`,
    values: [id],
  });
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/** The API's view of a payment. Amounts are decimal strings in major units. */
export interface PaymentView {
  readonly id: string;
  readonly object: 'deposit' | 'payment' | 'withdrawal' | 'payout';
  readonly provider: string;
  readonly mode: ProviderMode;
  readonly status: PaymentStatus;
  readonly amount: string;
  readonly fee: string;
  /** Deposits and payments: what the payer is charged. Withdrawals: what leaves the wallet. */
  readonly total: string;
  readonly currency: string;
  readonly next_action: NextAction | null;
  readonly destination: Readonly<Record<string, unknown>> | null;
  readonly customer: Readonly<Record<string, unknown>> | null;
  readonly metadata: Readonly<Record<string, unknown>> | null;
  readonly refunded: string;
  readonly receipt: string | null;
  readonly failure: { readonly code: string; readonly message: string } | null;
  readonly review_reason: string | null;
  readonly decision: { readonly by: string | null; readonly reason: string | null } | null;
  readonly user_id: string | null;
  readonly merchant_id: string | null;
  readonly created_at: string;
  readonly completed_at: string | null;
}

const objectNames = { deposit: 'deposit', collection: 'payment', withdrawal: 'withdrawal' } as const;

function objectName(p: PaymentRecord): PaymentView['object'] {
  return p.kind === 'withdrawal' && p.merchantId ? 'payout' : objectNames[p.kind];
}

export function paymentView(p: PaymentRecord): PaymentView {
  const money = (minor: bigint) => formatAmount(minor, p.currency);
  return {
    id: p.id,
    object: objectName(p),
    provider: p.provider,
    mode: p.mode,
    status: p.status,
    amount: money(p.amount),
    fee: money(p.fee),
    total: money(p.amount + p.fee),
    currency: p.currency,
    next_action: p.status === 'pending' ? p.nextAction : null,
    destination: p.destination,
    customer: p.kind === 'collection' ? p.payer : null,
    metadata: p.metadata,
    refunded: money(p.refunded),
    receipt: p.receipt,
    failure: p.failureCode ? { code: p.failureCode, message: p.failureMessage ?? '' } : null,
    review_reason: p.reviewReason,
    decision: p.decidedBy || p.decisionReason ? { by: p.decidedBy, reason: p.decisionReason } : null,
    user_id: p.userId,
    merchant_id: p.merchantId,
    created_at: p.createdAt.toISOString(),
    completed_at: p.completedAt?.toISOString() ?? null,
  };
}
