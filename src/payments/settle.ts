/**
 * Settling a payment: what happens when the provider's final word arrives (a webhook, a status query,
 * a payout's immediate answer, or an operator resolving a review). The ledger moves first, with ids
 * derived from the payment id, so a repeat (a duplicate webhook, a job retried after a crash) finds
 * the transfers already there; then one statement moves the status on (compare-and-set from
 * `pending`) and enqueues the notification. Any order of arrival settles a payment exactly once.
 */
import type { Pool } from '../db/pool.ts';
import type { Ledger, TransferInput, TransferResultCode } from '../ledger/index.ts';
import { enqueueMerchantEvent, type MerchantEventType } from '../merchants/webhooks.ts';
import type { EventBus } from '../realtime/index.ts';
import { newId } from '../shared/ids.ts';
import type { Logger } from '../shared/logger.ts';
import type { Wallets } from '../wallets/index.ts';
import { clearingAccountId, feesAccountId, type PlatformAccounts } from './accounts.ts';
import type { Failure, ProviderStatus } from './providers/provider.ts';
import {
  finalStatuses,
  type PaymentRecord,
  type PaymentRow,
  type PaymentStatus,
  paymentColumns,
  paymentView,
  toRecord,
} from './records.ts';

export interface Outcome {
  readonly status: ProviderStatus;
  /** What the provider says was charged or paid, in minor units, when it says. */
  readonly amountMinor?: bigint | undefined;
  readonly currency?: string | undefined;
  /** Our reference as the provider echoes it. */
  readonly reference?: string | undefined;
  readonly failure?: Failure | undefined;
  readonly receipt?: string | undefined;
}

export type SettleResult = 'applied' | 'pending' | 'duplicate' | 'conflict' | 'needs_review' | 'not_ready';

export interface SettleContext {
  readonly pool: Pool;
  readonly ledger: Ledger;
  readonly wallets: Wallets;
  readonly accounts: PlatformAccounts;
  readonly events: EventBus | undefined;
  readonly logger: Logger;
}

/** Ledger transfer ids of a payment: fixed by its id, so every step is idempotent. */
export const transferIds = (id: string) => ({
  credit: `${id}_cr`,
  creditFee: `${id}_crfee`,
  hold: `${id}_hold`,
  holdFee: `${id}_holdfee`,
  post: `${id}_post`,
  postFee: `${id}_postfee`,
  void: `${id}_void`,
  voidFee: `${id}_voidfee`,
});

/** How long a withdrawal's hold lives if nothing resolves it (the backstop for a lost process). */
export const holdTimeoutSeconds = 7 * 24 * 3600;

export async function settle(
  ctx: SettleContext,
  payment: PaymentRecord,
  outcome: Outcome,
): Promise<SettleResult> {
  if (outcome.status === 'pending') return 'pending';
  if (payment.status === 'requires_approval') return 'not_ready';
  if (payment.status !== 'pending') {
    const agrees =
      (outcome.status === 'succeeded' && (payment.status === 'succeeded' || payment.status === 'refunded')) ||
      (outcome.status === 'failed' &&
        finalStatuses.includes(payment.status) &&
        payment.status !== 'succeeded');
    if (agrees) return 'duplicate';
    ctx.logger.warn(
      { payment: payment.id, ours: payment.status, provider: outcome.status },
      'provider contradicts a settled payment',
    );
    // Money may have moved after all (a late M-Pesa success after we expired the deposit, a second
    // card tried on a Stripe Checkout after a decline): a person decides, nothing moves on its own.
    if (outcome.status === 'succeeded' && ['failed', 'canceled', 'expired'].includes(payment.status)) {
      const reason = `provider reports success after the payment ended ${payment.status}`;
      const moved = await finish(ctx, payment, payment.status, 'needs_review', {}, reason);
      return moved ? 'needs_review' : 'conflict';
    }
    return 'conflict';
  }
  if (outcome.status === 'succeeded') {
    const mismatch = disagreement(payment, outcome);
    if (mismatch) {
      await markForReview(ctx, payment, mismatch);
      return 'needs_review';
    }
  }
  const ledgerProblem = await moveMoney(ctx, payment, outcome.status);
  if (ledgerProblem) {
    await markForReview(ctx, payment, ledgerProblem);
    return 'needs_review';
  }
  const status = finalStatus(outcome);
  const moved = await finish(ctx, payment, 'pending', status, outcome);
  return moved ? 'applied' : 'duplicate';
}

/** Why the provider's account of a success can't be trusted to move money, if it can't. */
function disagreement(payment: PaymentRecord, outcome: Outcome): string | undefined {
  const expected = payment.kind === 'withdrawal' ? payment.amount : payment.amount + payment.fee;
  if (outcome.currency !== undefined && outcome.currency !== payment.currency) {
    return `provider reports currency ${outcome.currency}, expected ${payment.currency}`;
  }
  if (outcome.amountMinor !== undefined && outcome.amountMinor !== expected) {
    return `provider reports amount ${outcome.amountMinor} minor units, expected ${expected}`;
  }
  if (outcome.reference !== undefined && outcome.reference !== payment.id) {
    return `provider reports reference ${outcome.reference}, expected ${payment.id}`;
  }
  return undefined;
}

function finalStatus(outcome: Outcome): PaymentStatus {
  if (outcome.status === 'succeeded') return 'succeeded';
  if (outcome.failure?.code === 'cancelled_by_payer') return 'canceled';
  if (outcome.failure?.code === 'expired') return 'expired';
  return 'failed';
}

/** The ledger side of a final outcome. Returns a reason for review when the ledger refuses. */
export async function moveMoney(
  ctx: SettleContext,
  payment: PaymentRecord,
  status: 'succeeded' | 'failed',
): Promise<string | undefined> {
  const transfers = ledgerTransfers(payment, status);
  if (transfers.length === 0) return undefined;
  let results = await ctx.ledger.createTransfers(transfers);
  if (
    results.some((r) => r.result === 'credit_account_not_found' || r.result === 'debit_account_not_found')
  ) {
    // First money in this currency (or a platform account this database has not seen): open the
    // accounts and try again. Cheaper than ensuring them on every settlement.
    await openAccounts(ctx, payment, status);
    results = await ctx.ledger.createTransfers(transfers);
  }
  const bad = results.find((r) => !acceptable.has(r.result));
  return bad ? `ledger refused ${bad.id}: ${bad.result}` : undefined;
}

async function openAccounts(
  ctx: SettleContext,
  payment: PaymentRecord,
  status: 'succeeded' | 'failed',
): Promise<void> {
  await ctx.accounts.ensure(payment.provider, payment.mode, payment.currency);
  if (payment.kind === 'deposit' && status === 'succeeded' && payment.userId) {
    await ctx.wallets.ensure(payment.userId, payment.currency);
  }
  if (payment.kind === 'collection' && status === 'succeeded' && payment.merchantId) {
    const [opened] = await ctx.ledger.createAccounts([
      {
        id: payment.accountId,
        currency: payment.currency,
        kind: 'merchant',
        ownerId: payment.merchantId,
        flags: { debitsMustNotExceedCredits: true },
      },
    ]);
    if (opened?.result !== 'ok' && opened?.result !== 'exists')
      throw new Error(`merchant account: ${opened?.result}`);
  }
}

const acceptable = new Set<TransferResultCode>(['ok', 'exists']);

export function ledgerTransfers(payment: PaymentRecord, status: 'succeeded' | 'failed'): TransferInput[] {
  const ids = transferIds(payment.id);
  const clearing = clearingAccountId(payment.provider, payment.mode, payment.currency);
  const fees = feesAccountId(payment.mode, payment.currency);
  const withFee = payment.fee > 0n;
  const metadata = { payment: payment.id, provider: payment.provider };
  if (payment.kind !== 'withdrawal') {
    if (status === 'failed') return [];
    const credit: TransferInput = {
      id: ids.credit,
      debitAccountId: clearing,
      creditAccountId: payment.accountId,
      amount: payment.amount,
      currency: payment.currency,
      code: payment.kind,
      metadata,
      flags: { linked: withFee },
    };
    if (!withFee) return [credit];
    const fee = {
      id: ids.creditFee,
      debitAccountId: clearing,
      creditAccountId: fees,
      amount: payment.fee,
      currency: payment.currency,
      code: `${payment.kind}_fee`,
      metadata,
    };
    return [credit, fee];
  }
  const [main, fee] =
    status === 'succeeded'
      ? [
          { id: ids.post, pendingId: ids.hold, flags: { postPending: true, linked: withFee } },
          { id: ids.postFee, pendingId: ids.holdFee, flags: { postPending: true } },
        ]
      : [
          { id: ids.void, pendingId: ids.hold, flags: { voidPending: true, linked: withFee } },
          { id: ids.voidFee, pendingId: ids.holdFee, flags: { voidPending: true } },
        ];
  return withFee ? [main, fee] : [{ ...main, flags: { ...main.flags, linked: false } }];
}

/** The holds a withdrawal places when it is requested. */
export function holdTransfers(payment: {
  id: string;
  accountId: string;
  provider: PaymentRecord['provider'];
  mode: PaymentRecord['mode'];
  amount: bigint;
  fee: bigint;
  currency: string;
}): TransferInput[] {
  const ids = transferIds(payment.id);
  const metadata = { payment: payment.id, provider: payment.provider };
  const withFee = payment.fee > 0n;
  const hold: TransferInput = {
    id: ids.hold,
    debitAccountId: payment.accountId,
    creditAccountId: clearingAccountId(payment.provider, payment.mode, payment.currency),
    amount: payment.amount,
    currency: payment.currency,
    code: 'withdrawal',
    flags: { pending: true, linked: withFee },
    timeoutSeconds: holdTimeoutSeconds,
    metadata,
  };
  if (!withFee) return [hold];
  return [
    hold,
    {
      id: ids.holdFee,
      debitAccountId: payment.accountId,
      creditAccountId: feesAccountId(payment.mode, payment.currency),
      amount: payment.fee,
      currency: payment.currency,
      code: 'withdrawal_fee',
      flags: { pending: true },
      timeoutSeconds: holdTimeoutSeconds,
      metadata,
    },
  ];
}

/**
 * Moves the status from `from` to `to` (compare-and-set), then tells the user in real time. False
 * when the payment was no longer in `from`. The notice is best-effort (clients re-sync from the
 * API); it is not a job, because every job enqueued costs a NOTIFY, and NOTIFY serialises commits.
 */
export async function finish(
  ctx: Pick<SettleContext, 'pool' | 'events'>,
  payment: Pick<PaymentRecord, 'id' | 'merchantId'>,
  from: PaymentStatus,
  to: PaymentStatus,
  outcome: Partial<Outcome> = {},
  reviewReason?: string,
): Promise<boolean> {
  const values = [
    payment.id,
    from,
    to,
    outcome.failure?.code ?? null,
    outcome.failure?.message ?? null,
    outcome.receipt ?? null,
    reviewReason?.slice(0, 500) ?? null,
  ];
  // A merchant's payment tells the merchant too: its webhook deliveries commit with the new state.
  const row = payment.merchantId
    ? await finishWithEvent(ctx.pool, values)
    : (await ctx.pool.query<PaymentRow>(moveStatus, values)).rows[0];
  if (!row) return false;
  await announce(ctx.events, toRecord(row));
  return true;
}

const moveStatus = `UPDATE payments SET status = $3, failure_code = COALESCE($4, failure_code),
    failure_message = COALESCE($5, failure_message), receipt = COALESCE($6, receipt),
    review_reason = COALESCE($7, review_reason), next_action = NULL, updated_at = now(),
    completed_at = CASE WHEN $3 IN ('pending', 'requires_approval', 'needs_review') THEN NULL ELSE now() END
  WHERE id = $1 AND status = $2 RETURNING ${paymentColumns}`;

const collectionEvents: Partial<Record<PaymentStatus, MerchantEventType>> = {
  succeeded: 'payment.succeeded',
  failed: 'payment.failed',
  canceled: 'payment.failed',
  expired: 'payment.failed',
  refunded: 'payment.refunded',
};

const payoutEvents: Partial<Record<PaymentStatus, MerchantEventType>> = {
  succeeded: 'payout.succeeded',
  failed: 'payout.failed',
  canceled: 'payout.failed',
  expired: 'payout.failed',
  rejected: 'payout.failed',
};

async function finishWithEvent(pool: Pool, values: unknown[]): Promise<PaymentRow | undefined> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const row = (await client.query<PaymentRow>(moveStatus, values)).rows[0];
    const type = row ? (row.kind === 'withdrawal' ? payoutEvents : collectionEvents)[row.status] : undefined;
    if (row?.merchant_id && type) {
      await enqueueMerchantEvent(client, {
        merchantId: row.merchant_id,
        mode: row.mode,
        type,
        data: paymentView(toRecord(row)),
      });
    }
    await client.query('COMMIT');
    return row;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Publishes a deposit's or withdrawal's new state on its owner's realtime channel. Never throws. */
export async function announce(events: EventBus | undefined, payment: PaymentRecord): Promise<void> {
  if (!events || !payment.userId) return;
  try {
    await events.publish(payment.userId, {
      id: newId('evt'),
      type: payment.kind === 'withdrawal' ? 'withdrawal.updated' : 'deposit.updated',
      created_at: new Date().toISOString(),
      data: paymentView(payment),
    });
  } catch {
    // The state is committed; a lost notice must not fail it.
  }
}

export async function markForReview(
  ctx: SettleContext,
  payment: PaymentRecord,
  reason: string,
): Promise<void> {
  await finish(ctx, payment, 'pending', 'needs_review', {}, reason);
}
