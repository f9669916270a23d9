/**
 * Refunds of merchant payments, through the provider that collected them. The refundable amount is
 * reserved on the payment and the refund recorded in one statement, the money is held in the
 * merchant's account, then the provider is asked: its yes posts the hold, its no voids it and
 * releases the reservation, no answer leaves the refund pending for a retry to finish.
 */
import { ChatPayError } from '../shared/errors.ts';
import { formatAmount, parseAmount } from '../shared/money.ts';
import { clearingAccountId } from './accounts.ts';
import type { PaymentsContext } from './context.ts';
import { type PaymentProvider, ProviderError } from './providers/provider.ts';
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
  // A retry (same Idempotency-Key, so the same refund id) resumes the refund where it stopped.
  const refund =
    (await findRefund(ctx, input.refundId, payment.id)) ??
    (await reserve(
      ctx,
      payment,
      input.refundId,
      input.amount === undefined
        ? payment.amount - payment.refunded
        : parseAmount(input.amount, payment.currency),
    ));
  if (refund.status !== 'pending') return refundView(refund);
  return refundView(await complete(ctx, payment, refund));
}

/**
 * Holds the amount in the merchant's account, asks the provider, and settles on its answer. Each step
 * is idempotent (ledger ids from the refund id; the provider dedupes on it), so a resumed refund
 * repeats nothing. Only a definite "no" releases the money: after a timeout the provider may have
 * paid, so the refund stays pending, held, until a retry learns the answer.
 */
async function complete(ctx: PaymentsContext, payment: PaymentRecord, refund: RefundRow): Promise<RefundRow> {
  const amount = BigInt(refund.amount);
  const hold = `${refund.id}_hold`;
  const [held] = await ctx.ledger.createTransfers([
    {
      id: hold,
      debitAccountId: payment.accountId,
      creditAccountId: clearingAccountId(payment.provider, payment.mode, payment.currency),
      amount,
      currency: payment.currency,
      code: 'refund',
      flags: { pending: true },
      timeoutSeconds: refundHoldSeconds,
      metadata: { payment: payment.id, refund: refund.id },
    },
  ]);
  if (held?.result !== 'ok' && held?.result !== 'exists') {
    await fail(ctx, refund.id, `hold refused: ${held?.result}`);
    if (held?.result === 'exceeds_credits') throw new ChatPayError('insufficient_funds', { param: 'amount' });
    throw new Error(`refund hold ${hold}: ${held?.result}`);
  }
  let answer: Awaited<ReturnType<NonNullable<PaymentProvider['refund']>>>;
  try {
    answer = await ctx.gateway.call(
      payment.provider,
      (p, signal) =>
        (p.refund as NonNullable<typeof p.refund>)(
          {
            refundId: refund.id,
            paymentReference: payment.id,
            providerId: payment.providerId,
            amountMinor: amount,
            currency: payment.currency,
          },
          signal,
        ),
      { idempotent: false },
    );
  } catch (error) {
    if (error instanceof ProviderError && !error.retryable) {
      await ctx.ledger.createTransfers([
        { id: `${refund.id}_void`, pendingId: hold, flags: { voidPending: true } },
      ]);
      await fail(ctx, refund.id, error.message);
      throw new ChatPayError('provider_error', { message: 'The provider refused the refund.', cause: error });
    }
    if (error instanceof ProviderError) {
      throw new ChatPayError('provider_unavailable', {
        message: `The provider did not answer. Refund ${refund.id} stays pending; retry with the same Idempotency-Key.`,
        cause: error,
      });
    }
    throw error;
  }
  if (answer.status === 'failed') {
    await ctx.ledger.createTransfers([
      { id: `${refund.id}_void`, pendingId: hold, flags: { voidPending: true } },
    ]);
    await fail(ctx, refund.id, 'refused by the provider');
    throw new ChatPayError('provider_error', { message: 'The provider refused the refund.' });
  }
  await ctx.ledger.createTransfers([
    { id: `${refund.id}_post`, pendingId: hold, flags: { postPending: true } },
  ]);
  const { rows } = await ctx.pool.query<RefundRow & { fully: boolean }>(
    `UPDATE refunds r SET status = 'succeeded', provider_id = $2 WHERE r.id = $1
     RETURNING r.*, (SELECT p.refunded = p.amount FROM payments p WHERE p.id = r.payment_id)
       AND NOT EXISTS (SELECT 1 FROM refunds o WHERE o.payment_id = r.payment_id AND o.id <> r.id
         AND o.status = 'pending') AS fully`,
    [refund.id, answer.providerId],
  );
  const done = rows[0] as RefundRow & { fully: boolean };
  if (done.fully) await finish(ctx, payment, 'succeeded', 'refunded');
  return done;
}

/** A held refund lives this long; a pending one is resolved by a retry well before. */
const refundHoldSeconds = 7 * 86_400;

async function findRefund(
  ctx: PaymentsContext,
  id: string,
  paymentId: string,
): Promise<RefundRow | undefined> {
  const { rows } = await ctx.pool.query<RefundRow>(
    'SELECT * FROM refunds WHERE id = $1 AND payment_id = $2',
    [id, paymentId],
  );
  return rows[0];
}

/**
 * Claims `amount` of what is left to refund and records the refund, in one statement: two parallel
 * refunds can't pass the total, and two requests with one refund id make one refund.
 */
async function reserve(
  ctx: PaymentsContext,
  payment: PaymentRecord,
  refundId: string,
  amount: bigint,
): Promise<RefundRow> {
  try {
    const { rows } = await ctx.pool.query<RefundRow>(
      `WITH reserved AS (
         UPDATE payments SET refunded = refunded + $3, updated_at = now()
          WHERE id = $2 AND status = 'succeeded' AND refunded + $3 <= amount RETURNING id)
       INSERT INTO refunds (id, payment_id, amount, currency, status)
       SELECT $1, id, $3, $4, 'pending' FROM reserved RETURNING *`,
      [refundId, payment.id, amount.toString(), payment.currency],
    );
    if (!rows[0]) throw new ChatPayError('refund_not_possible', { param: 'amount' });
    return rows[0];
  } catch (error) {
    // The same refund id raced in: the statement rolled back whole; the other one's refund stands.
    if ((error as { code?: string }).code !== '23505') throw error;
    return (await findRefund(ctx, refundId, payment.id)) as RefundRow;
  }
}

/** Marks a pending refund failed and gives its amount back to what can be refunded (once). */
async function fail(ctx: PaymentsContext, refundId: string, reason: string): Promise<void> {
  await ctx.pool.query(
    `WITH failed AS (
       UPDATE refunds SET status = 'failed', failure_message = $2 WHERE id = $1 AND status = 'pending'
       RETURNING payment_id, amount)
     UPDATE payments p SET refunded = p.refunded - f.amount, updated_at = now() FROM failed f WHERE p.id = f.payment_id`,
    [refundId, reason.slice(0, 500)],
  );
}
