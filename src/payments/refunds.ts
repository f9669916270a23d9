/**
 * Refunds of merchant payments, through the provider that collected them. The refundable amount is
 * reserved on the payment first (one statement, so two parallel refunds can't pass the total), the
 * money is held in the merchant's account, then the provider is asked; its yes posts the hold, its
 * no voids it and releases the reservation. The provider dedupes on our refund id, so a retry is safe.
 */
import { ChatPayError } from '../shared/errors.ts';
import { formatAmount, parseAmount } from '../shared/money.ts';
import { clearingAccountId } from './accounts.ts';
import type { PaymentsContext } from './context.ts';
import { ProviderError } from './providers/provider.ts';
import { findPayment, type PaymentRecord } from './records.ts';
import { finish } from './settle.ts';

export interface RefundView {
  readonly id: string;
  readonly object: 'refund';
  readonly payment_id: string;
  readonly amount: string;
  readonly currency: string;
  readonly status: 'pending' | 'succeeded' | 'failed';
  readonly created_at: string;
}

interface RefundRow {
  id: string;
  payment_id: string;
  amount: string;
  currency: string;
  status: RefundView['status'];
  created_at: Date;
}

function refundView(row: RefundRow): RefundView {
  return {
    id: row.id,
    object: 'refund',
    payment_id: row.payment_id,
    amount: formatAmount(BigInt(row.amount), row.currency),
    currency: row.currency,
    status: row.status,
    created_at: row.created_at.toISOString(),
  };
}

export async function refundPayment(
  ctx: PaymentsContext,
  input: {
    merchantId: string;
    mode: 'test' | 'live';
    paymentId: string;
    refundId: string;
    amount?: string | undefined;
  },
): Promise<RefundView> {
  const done = await ctx.pool.query<RefundRow>('SELECT * FROM refunds WHERE id = $1', [input.refundId]);
  if (done.rows[0]) return refundView(done.rows[0]);
  const payment = await findPayment(ctx.pool, input.paymentId);
  if (
    payment?.kind !== 'collection' ||
    payment.merchantId !== input.merchantId ||
    payment.mode !== input.mode
  ) {
    throw new ChatPayError('payment_not_found');
  }
  const provider = ctx.gateway.provider(payment.provider);
  if (!provider.capabilities.refund || !provider.refund) {
    throw new ChatPayError('operation_not_supported', {
      param: 'payment',
      message: `${provider.id} has no refunds.`,
    });
  }
  const amount =
    input.amount === undefined
      ? payment.amount - payment.refunded
      : parseAmount(input.amount, payment.currency);
  await reserve(ctx, payment, amount);
  const hold = `${input.refundId}_hold`;
  const [held] = await ctx.ledger.createTransfers([
    {
      id: hold,
      debitAccountId: payment.accountId,
      creditAccountId: clearingAccountId(payment.provider, payment.mode, payment.currency),
      amount,
      currency: payment.currency,
      code: 'refund',
      flags: { pending: true },
      timeoutSeconds: 86_400,
      metadata: { payment: payment.id, refund: input.refundId },
    },
  ]);
  if (held?.result !== 'ok' && held?.result !== 'exists') {
    await release(ctx, payment.id, amount);
    if (held?.result === 'exceeds_credits') throw new ChatPayError('insufficient_funds', { param: 'amount' });
    throw new Error(`refund hold ${hold}: ${held?.result}`);
  }
  let status: 'pending' | 'succeeded';
  let providerId: string | null;
  try {
    const answer = await ctx.gateway.call(
      payment.provider,
      (p, signal) =>
        (p.refund as NonNullable<typeof p.refund>)(
          {
            refundId: input.refundId,
            paymentReference: payment.id,
            providerId: payment.providerId,
            amountMinor: amount,
            currency: payment.currency,
          },
          signal,
        ),
      { idempotent: false },
    );
    if (answer.status === 'failed') throw new ProviderError(payment.provider, 'declined', 'refund refused');
    status = answer.status;
    providerId = answer.providerId;
  } catch (error) {
    await ctx.ledger.createTransfers([
      { id: `${input.refundId}_void`, pendingId: hold, flags: { voidPending: true } },
    ]);
    await release(ctx, payment.id, amount);
    if (error instanceof ProviderError)
      throw new ChatPayError('provider_error', { message: 'The provider refused the refund.', cause: error });
    throw error;
  }
  await ctx.ledger.createTransfers([
    { id: `${input.refundId}_post`, pendingId: hold, flags: { postPending: true } },
  ]);
  const { rows } = await ctx.pool.query<RefundRow>(
    `INSERT INTO refunds (id, payment_id, amount, currency, status, provider_id) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status RETURNING *`,
    [input.refundId, payment.id, amount.toString(), payment.currency, status, providerId],
  );
  if (payment.refunded + amount === payment.amount) await finish(ctx, payment.id, 'succeeded', 'refunded');
  return refundView(rows[0] as RefundRow);
}

/** Claims `amount` of what is left to refund, or says why it can't. */
async function reserve(ctx: PaymentsContext, payment: PaymentRecord, amount: bigint): Promise<void> {
  const { rowCount } = await ctx.pool.query(
    `UPDATE payments SET refunded = refunded + $2, updated_at = now()
      WHERE id = $1 AND status = 'succeeded' AND refunded + $2 <= amount`,
    [payment.id, amount.toString()],
  );
  if (!rowCount) throw new ChatPayError('refund_not_possible', { param: 'amount' });
}

async function release(ctx: PaymentsContext, paymentId: string, amount: bigint): Promise<void> {
  await ctx.pool.query(`UPDATE payments SET refunded = refunded - $2 WHERE id = $1`, [
    paymentId,
    amount.toString(),
  ]);
}
