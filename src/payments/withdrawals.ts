/**
 * Money out. A withdrawal first holds the amount and fee in the wallet (pending ledger transfers to
 * the clearing and fees accounts), then the provider pays out in a job; success posts the holds,
 * failure voids them. Above the currency's approval threshold it waits in `requires_approval` until
 * an operator with the `finance` role — never the requester — approves or rejects it.
 */
import { enqueue } from '../db/jobs.ts';
import { ChatPayError } from '../shared/errors.ts';
import { parseAmount } from '../shared/money.ts';
import { assertNotFrozen, checkPin, normalizePhone } from '../users/index.ts';
import { walletAccountId } from '../wallets/index.ts';
import type { PaymentsContext } from './context.ts';
import { checkDailyLimit, checkProvider, checkStep, insertPayment, moneyModeOf } from './create.ts';
import { type PayoutDestination, ProviderError } from './providers/provider.ts';
import { findPayment, type PaymentRecord, type PaymentView, paymentView } from './records.ts';
import { announce, finish, holdTransfers, ledgerTransfers, settle } from './settle.ts';

export type DestinationInput =
  | { readonly phone: string }
  | {
      readonly bank_code: string;
      readonly account_number: string;
      readonly account_name?: string | undefined;
    };

/** A user's wallet, or a merchant's account in one mode (merchant payouts). */
export type PayoutOwner =
  | { readonly userId: string }
  | { readonly merchantId: string; readonly mode: 'test' | 'live'; readonly accountId: string };

export interface WithdrawalInput {
  /** `wd_…` (users) or `po_…` (merchants), derived from the Idempotency-Key when there is one. */
  readonly id: string;
  readonly owner: PayoutOwner;
  readonly provider: string;
  readonly amount: string;
  readonly currency: string;
  readonly destination: DestinationInput;
  readonly pin?: string | undefined;
  readonly metadata?: Readonly<Record<string, string>> | undefined;
}

export async function createWithdrawal(ctx: PaymentsContext, input: WithdrawalInput): Promise<PaymentView> {
  const existing = await findPayment(ctx.pool, input.id);
  if (existing) return paymentView(existing);
  const amount = parseAmount(input.amount, input.currency);
  const merchant = 'merchantId' in input.owner ? input.owner : undefined;
  const userId = 'userId' in input.owner ? input.owner.userId : null;
  const provider = checkProvider(ctx, input.provider, input.currency, moneyModeOf(ctx, input.owner));
  if (!provider.capabilities.payout || !provider.initiatePayout) {
    throw new ChatPayError('operation_not_supported', {
      param: 'provider',
      message: `${provider.id} has no payouts to individuals; withdraw through a provider whose capabilities include payout.`,
    });
  }
  checkStep(provider, input.currency, amount);
  const destination = destinationOf(input.destination, provider.capabilities.payoutDestinations);
  // People's limits and PIN; a merchant's key is its authority, and large payouts still need approval.
  if (userId) {
    ctx.limits.checkTransaction(input.currency, 'withdrawal', amount);
    await checkPin(ctx.pool, userId, input.pin);
  }
  const threshold = ctx.settings.approvalAbove.get(input.currency);
  const needsApproval = threshold === undefined || amount > threshold;
  if (!needsApproval) ctx.gateway.assertAvailable(provider.id);

  const fee = ctx.fees.fee(provider.id, input.currency, 'withdrawal', amount);
  const accountId = merchant ? merchant.accountId : walletAccountId(userId as string, input.currency);
  const draft = {
    id: input.id,
    accountId,
    provider: provider.id,
    mode: provider.mode,
    amount,
    fee,
    currency: input.currency,
  };
  await ctx.accounts.ensure(provider.id, provider.mode, input.currency);
  // A frozen person's wallet doesn't move money out at all: the ledger refuses the hold in its batch.
  const results = await ctx.ledger.createTransfers(holdTransfers(draft), {
    refuseFrozenDebits: userId !== null,
  });
  const refused = results.find((r) => r.result !== 'ok' && r.result !== 'exists');
  if (refused) {
    if (refused.result === 'debit_account_frozen') throw new ChatPayError('user_frozen');
    if (['exceeds_credits', 'debit_account_not_found', 'linked_event_failed'].includes(refused.result)) {
      throw new ChatPayError('insufficient_funds', { param: 'amount' });
    }
    throw new Error(`withdrawal hold ${refused.id}: ${refused.result}`);
  }
  try {
    const record = await insertPayment(ctx, {
      ...draft,
      kind: 'withdrawal',
      status: needsApproval ? 'requires_approval' : 'pending',
      userId,
      merchantId: merchant?.merchantId ?? null,
      payer: null,
      destination,
      metadata: input.metadata ?? null,
      requestedBy: userId ?? `merchant:${merchant?.merchantId}`,
      reconcileAfterSeconds: ctx.settings.reconcileAfterSeconds,
      beforeInsert: userId
        ? async (client) => {
            // Again, locked, in the insert's transaction: a freeze that committed while the hold was
            // being made is seen here, and the hold is released below.
            await assertNotFrozen(client, userId, { lock: true });
            await checkDailyLimit(ctx, client, userId, 'withdrawal', input.currency, amount);
          }
        : undefined,
      afterInsert: needsApproval
        ? undefined
        : (client) => enqueue(client, 'payout_send', { id: input.id }, { jobKey: `payout:${input.id}` }),
    });
    return paymentView(record);
  } catch (error) {
    // Over the daily limit (or the insert failed): the holds go, so nothing changed.
    await releaseHolds(ctx, { ...draft, kind: 'withdrawal' });
    throw error;
  }
}

function destinationOf(
  input: DestinationInput,
  allowed: readonly ('phone' | 'bank')[],
): Record<string, string> {
  if ('phone' in input) {
    if (!allowed.includes('phone')) {
      throw new ChatPayError('destination_invalid', {
        param: 'destination',
        message: 'This provider pays bank accounts only.',
      });
    }
    return { type: 'phone', phone: normalizePhone(input.phone, 'destination.phone') };
  }
  if (!allowed.includes('bank')) {
    throw new ChatPayError('destination_invalid', {
      param: 'destination',
      message: 'This provider pays phones only.',
    });
  }
  const bank: Record<string, string> = {
    type: 'bank',
    bank_code: input.bank_code,
    account_number: input.account_number,
  };
  if (input.account_name) bank.account_name = input.account_name;
  return bank;
}

async function releaseHolds(
  ctx: PaymentsContext,
  payment: Pick<
    PaymentRecord,
    'id' | 'kind' | 'accountId' | 'provider' | 'mode' | 'amount' | 'fee' | 'currency'
  >,
): Promise<void> {
  const results = await ctx.ledger.createTransfers(ledgerTransfers(payment as PaymentRecord, 'failed'));
  const bad = results.find(
    (r) =>
      !['ok', 'exists', 'pending_transfer_already_voided', 'pending_transfer_expired'].includes(r.result),
  );
  if (bad)
    ctx.logger.error(
      { payment: payment.id, transfer: bad.id, result: bad.result },
      'withdrawal hold not released',
    );
}

/** An operator's decision on a withdrawal waiting for approval. */
export async function decideWithdrawal(
  ctx: PaymentsContext,
  id: string,
  operatorId: string,
  decision: { readonly approve: boolean; readonly reason?: string | undefined },
): Promise<PaymentView> {
  const payment = await findPayment(ctx.pool, id);
  if (payment?.kind !== 'withdrawal') throw new ChatPayError('withdrawal_not_found');
  if (payment.requestedBy === operatorId || payment.userId === operatorId)
    throw new ChatPayError('approval_by_requester');
  if (payment.status !== 'requires_approval') throw new ChatPayError('withdrawal_not_awaiting_approval');
  if (!decision.approve) {
    // Through finish(), so the owner hears of it (a merchant's payout.failed commits with it).
    const rejected = await finish(ctx, payment, 'requires_approval', 'rejected', {
      failure: { code: 'declined', message: 'Rejected by an operator.' },
    });
    if (!rejected) throw new ChatPayError('withdrawal_not_awaiting_approval');
    await ctx.pool.query('UPDATE payments SET decided_by = $2, decision_reason = $3 WHERE id = $1', [
      id,
      operatorId,
      decision.reason ?? null,
    ]);
    await releaseHolds(ctx, payment);
    return paymentView((await findPayment(ctx.pool, id)) as PaymentRecord);
  }
  // A frozen user's withdrawal that waits for approval can only be rejected.
  if (payment.userId) await assertNotFrozen(ctx.pool, payment.userId);
  // One statement claims the approval (compare-and-set) and enqueues the payout.
  const { rows } = await ctx.pool.query<{ id: string }>(
    `WITH decided AS (
       UPDATE payments SET status = 'pending', decided_by = $2, decision_reason = $3, updated_at = now(),
         reconcile_at = now() + make_interval(secs => $4)
       WHERE id = $1 AND status = 'requires_approval' RETURNING id),
     payout AS (
       SELECT graphile_worker.add_job('payout_send', json_build_object('id', id), job_key => 'payout:' || id)
         FROM decided)
     -- A SELECT in a WITH runs only if the main query reads it.
     SELECT id FROM decided, (SELECT count(*) FROM payout) AS p`,
    [id, operatorId, decision.reason ?? null, ctx.settings.reconcileAfterSeconds],
  );
  if (rows.length === 0) throw new ChatPayError('withdrawal_not_awaiting_approval');
  const decided = (await findPayment(ctx.pool, id)) as PaymentRecord;
  await announce(ctx.events, decided);
  return paymentView(decided);
}

/**
 * The `payout_send` job: asks the provider to pay. The provider dedupes on our reference, so a retry
 * after a crash never pays twice. A refusal voids the holds; no answer is retried by the job queue.
 */
export async function sendPayout(ctx: PaymentsContext, id: string): Promise<void> {
  const payment = await findPayment(ctx.pool, id);
  if (payment?.kind !== 'withdrawal' || payment.status !== 'pending' || payment.providerId) return;
  const destination = payment.destination as Record<string, string>;
  const target: PayoutDestination =
    destination.type === 'phone'
      ? { type: 'phone', phone: destination.phone as string }
      : {
          type: 'bank',
          bankCode: destination.bank_code as string,
          accountNumber: destination.account_number as string,
          accountName: destination.account_name,
        };
  try {
    const result = await ctx.gateway.call(
      payment.provider,
      (provider, signal) => {
        if (!provider.initiatePayout) throw new ProviderError(provider.id, 'invalid_request', 'no payouts');
        return provider.initiatePayout(
          {
            reference: payment.id,
            amountMinor: payment.amount,
            currency: payment.currency,
            destination: target,
            description: 'ChatPay withdrawal',
            callbackUrl: ctx.webhookUrl(payment.provider),
          },
          signal,
        );
      },
      { idempotent: true },
    );
    await ctx.pool.query({
      name: 'payments_set_provider_id',
      text: `UPDATE payments SET provider_id = $2, updated_at = now() WHERE id = $1 AND provider_id IS NULL`,
      values: [id, result.providerId],
    });
    if (result.status !== 'pending')
      await settle(ctx, payment, { status: result.status, failure: result.failure });
  } catch (error) {
    if (error instanceof ProviderError && !error.retryable && error.kind !== 'auth') {
      const failure = error.failure ?? { code: 'declined' as const, message: error.message };
      await settle(ctx, payment, { status: 'failed', failure });
      return;
    }
    throw error;
  }
}
