/**
 * Reconciliation: a scheduled job asks the provider about every payment still pending past its
 * `reconcile_at`, and settles it on the answer. A provider answer that disagrees with ours (amount,
 * currency, reference) puts the payment in `needs_review` and never credits (settle.ts). Still
 * pending: asked again later, with the interval growing; a collection pending past the expiry age
 * ends `expired` (the payer never paid). Withdrawals never expire on our side: money may have left.
 */
import { enqueue } from '../db/jobs.ts';
import type { PaymentsContext } from './context.ts';
import { ProviderError } from './providers/provider.ts';
import { type PaymentRecord, type PaymentRow, paymentColumns, toRecord } from './records.ts';
import { finish, settle } from './settle.ts';

const batchMax = 100;
const retryIntervalMaxSeconds = 3600;

export interface ReconcileReport {
  readonly checked: number;
  readonly settled: number;
  readonly expired: number;
  readonly review: number;
  readonly errors: number;
}

export async function reconcile(ctx: PaymentsContext): Promise<ReconcileReport> {
  const { rows } = await ctx.pool.query<PaymentRow>(
    `SELECT ${paymentColumns} FROM payments WHERE status = 'pending' AND reconcile_at <= now()
      ORDER BY reconcile_at LIMIT ${batchMax}`,
  );
  const report = { checked: rows.length, settled: 0, expired: 0, review: 0, errors: 0 };
  for (const payment of rows.map(toRecord)) {
    try {
      const result = await reconcileOne(ctx, payment);
      if (result === 'settled') report.settled++;
      else if (result === 'expired') report.expired++;
      else if (result === 'review') report.review++;
    } catch (error) {
      report.errors++;
      ctx.logger.warn({ err: error, payment: payment.id }, 'reconciliation failed; will retry');
      await later(ctx, payment);
    }
  }
  if (report.checked > 0) ctx.logger.info(report, 'reconciliation pass');
  return report;
}

async function reconcileOne(
  ctx: PaymentsContext,
  payment: PaymentRecord,
): Promise<'settled' | 'expired' | 'review' | 'waiting'> {
  if (payment.kind === 'withdrawal' && !payment.providerId) {
    // The payout job may have been lost with its worker: enqueue it again (same job key, no double).
    await enqueue(ctx.pool, 'payout_send', { id: payment.id }, { jobKey: `payout:${payment.id}` });
    await later(ctx, payment);
    return 'waiting';
  }
  const provider = ctx.gateway.find(payment.provider);
  if (!provider?.capabilities.status) {
    await expireOrWait(ctx, payment);
    return 'waiting';
  }
  let answer: Awaited<ReturnType<typeof provider.getStatus>>;
  try {
    answer = await ctx.gateway.call(
      payment.provider,
      (p, signal) =>
        p.getStatus(
          {
            kind: payment.kind === 'withdrawal' ? 'payout' : 'collection',
            reference: payment.id,
            providerId: payment.providerId,
          },
          signal,
        ),
      { idempotent: true },
    );
  } catch (error) {
    // "No such transaction" for a collection the provider never started: it will never complete.
    if (error instanceof ProviderError && error.kind === 'invalid_request' && payment.kind !== 'withdrawal') {
      return (await expireOrWait(ctx, payment)) ? 'expired' : 'waiting';
    }
    throw error;
  }
  const result = await settle(ctx, payment, {
    status: answer.status,
    amountMinor: answer.amountMinor,
    currency: answer.currency,
    reference: answer.reference,
    failure: answer.failure,
    receipt: answer.receipt,
  });
  if (result === 'applied' || result === 'duplicate') return 'settled';
  if (result === 'needs_review') return 'review';
  return (await expireOrWait(ctx, payment)) ? 'expired' : 'waiting';
}

/** Expires a collection that is too old; otherwise schedules the next question. True if expired. */
async function expireOrWait(ctx: PaymentsContext, payment: PaymentRecord): Promise<boolean> {
  const ageSeconds = (Date.now() - payment.createdAt.getTime()) / 1000;
  if (payment.kind !== 'withdrawal' && ageSeconds >= ctx.settings.expireAfterSeconds) {
    return finish(ctx, payment, 'pending', 'expired', {
      failure: { code: 'expired', message: 'The payer did not complete the payment in time.' },
    });
  }
  await later(ctx, payment);
  return false;
}

/** Asks again after an interval that grows with the payment's age (bounded). */
async function later(ctx: PaymentsContext, payment: PaymentRecord): Promise<void> {
  const ageSeconds = Math.max(1, (Date.now() - payment.createdAt.getTime()) / 1000);
  const next = Math.min(
    retryIntervalMaxSeconds,
    Math.max(ctx.settings.reconcileAfterSeconds, ageSeconds / 2),
  );
  await ctx.pool.query(
    `UPDATE payments SET reconcile_at = now() + make_interval(secs => $2) WHERE id = $1 AND status = 'pending'`,
    [payment.id, next],
  );
}
