/**
 * Money in: deposits into a user's wallet and merchants' collections from their customers. The
 * payment is recorded `pending` before the provider is asked, so a provider answer (or a callback
 * racing it) always finds it; success credits the account from the provider's clearing account
 * when the provider confirms (see settle.ts).
 */
import { ChatPayError } from '../shared/errors.ts';
import { parseAmount } from '../shared/money.ts';
import { assertNotFrozen, normalizeEmail, normalizePhone } from '../users/index.ts';
import { walletAccountId } from '../wallets/index.ts';
import type { PaymentsContext } from './context.ts';
import { checkDailyLimit, checkProvider, checkStep, insertPayment, moneyModeOf } from './create.ts';
import { ProviderError } from './providers/provider.ts';
import { findPayment, type PaymentRecord, type PaymentView, paymentView } from './records.ts';
import { finish } from './settle.ts';

export type CollectionOwner =
  | { readonly userId: string }
  | { readonly merchantId: string; readonly mode: 'test' | 'live'; readonly accountId: string };

export interface CollectionInput {
  /** `dep_…` or `pay_…`, derived from the Idempotency-Key when there is one. */
  readonly id: string;
  readonly owner: CollectionOwner;
  readonly provider: string;
  readonly amount: string;
  readonly currency: string;
  readonly phone?: string | undefined;
  readonly email?: string | undefined;
  readonly name?: string | undefined;
  readonly returnUrl?: string | undefined;
  readonly metadata?: Readonly<Record<string, string>> | undefined;
}

export async function createCollection(ctx: PaymentsContext, input: CollectionInput): Promise<PaymentView> {
  const existing = await findPayment(ctx.pool, input.id);
  if (existing) return paymentView(existing);
  const amount = parseAmount(input.amount, input.currency);
  const merchant = 'merchantId' in input.owner ? input.owner : undefined;
  const provider = checkProvider(ctx, input.provider, input.currency, moneyModeOf(ctx, input.owner));
  if (!provider.capabilities.collect)
    throw new ChatPayError('operation_not_supported', { param: 'provider' });
  const fee = ctx.fees.fee(provider.id, input.currency, 'deposit', amount);
  checkStep(provider, input.currency, amount + fee);
  const payer = payerOf(provider.capabilities.collectWith, input);
  const userId = 'userId' in input.owner ? input.owner.userId : null;
  if (userId) ctx.limits.checkTransaction(input.currency, 'deposit', amount);
  ctx.gateway.assertAvailable(provider.id);

  const record = await insertPayment(ctx, {
    id: input.id,
    kind: merchant ? 'collection' : 'deposit',
    provider: provider.id,
    mode: provider.mode,
    status: 'pending',
    userId,
    merchantId: merchant?.merchantId ?? null,
    accountId: merchant ? merchant.accountId : walletAccountId(userId as string, input.currency),
    amount,
    fee,
    currency: input.currency,
    payer,
    destination: null,
    metadata: input.metadata ?? null,
    requestedBy: userId,
    reconcileAfterSeconds: ctx.settings.reconcileAfterSeconds,
    // A frozen user starts no deposit (money in could be the laundering leg). Checked locked, in the
    // insert's transaction, so a freeze and a deposit are ordered one way or the other.
    beforeInsert: userId
      ? async (client) => {
          await assertNotFrozen(client, userId, { lock: true });
          await checkDailyLimit(ctx, client, userId, 'deposit', input.currency, amount);
        }
      : undefined,
  });
  if (record.status !== 'pending' || record.providerId || record.nextAction) return paymentView(record);
  return paymentView(await initiate(ctx, record, input));
}

function payerOf(collectWith: 'phone' | 'email', input: CollectionInput): Record<string, string> {
  const payer: Record<string, string> = {};
  if (input.phone !== undefined) payer.phone = normalizePhone(input.phone);
  if (input.email !== undefined) payer.email = normalizeEmail(input.email);
  if (input.name !== undefined) payer.name = input.name;
  if (!payer[collectWith]) {
    throw new ChatPayError('payer_required', {
      param: collectWith,
      message: `This provider needs the payer’s ${collectWith === 'phone' ? 'phone number' : 'email address'}.`,
    });
  }
  return payer;
}

/** Asks the provider to start collecting, and records its answer. */
async function initiate(
  ctx: PaymentsContext,
  record: PaymentRecord,
  input: CollectionInput,
): Promise<PaymentRecord> {
  const payer = record.payer as Record<string, string>;
  try {
    const result = await ctx.gateway.call(
      record.provider,
      (provider, signal) =>
        provider.initiateCollection(
          {
            reference: record.id,
            amountMinor: record.amount + record.fee,
            currency: record.currency,
            phone: payer.phone,
            email: payer.email,
            name: payer.name,
            description: record.kind === 'deposit' ? 'ChatPay deposit' : 'Payment',
            callbackUrl: ctx.webhookUrl(record.provider),
            returnUrl: input.returnUrl,
          },
          signal,
        ),
      { idempotent: false },
    );
    const { rows } = await ctx.pool.query<{ id: string }>({
      name: 'payments_set_initiation',
      text: `UPDATE payments SET provider_id = $2, next_action = $3, updated_at = now()
              WHERE id = $1 AND status = 'pending' RETURNING id`,
      values: [record.id, result.providerId, JSON.stringify(result.nextAction)],
    });
    if (rows.length === 0)
      ctx.logger.info({ payment: record.id }, 'payment settled before its initiation was recorded');
    return (await findPayment(ctx.pool, record.id)) as PaymentRecord;
  } catch (error) {
    throw await initiationFailed(ctx, record, error);
  }
}

/**
 * A provider that answered "no" did nothing: the payment fails. One that did not answer may have
 * acted (an STK push may be on the payer's phone): the payment stays pending for reconciliation.
 */
async function initiationFailed(
  ctx: PaymentsContext,
  record: PaymentRecord,
  error: unknown,
): Promise<unknown> {
  if (error instanceof ChatPayError) return error;
  if (!(error instanceof ProviderError)) return error;
  if (error.kind === 'timeout' || error.kind === 'unavailable') {
    ctx.logger.warn(
      { payment: record.id, provider: record.provider, kind: error.kind },
      'provider did not answer',
    );
    return new ChatPayError('provider_unavailable', {
      param: 'provider',
      message: `The provider did not answer. Payment ${record.id} stays pending until the provider confirms it either way.`,
      cause: error,
    });
  }
  const failure = error.failure ?? { code: 'declined' as const, message: error.message };
  await finish(ctx, record, 'pending', 'failed', { failure });
  if (error.kind === 'declined') return new ChatPayError('payment_declined', { cause: error });
  ctx.logger.error(
    { payment: record.id, provider: record.provider, kind: error.kind, code: error.providerCode },
    'provider refused a collection',
  );
  return new ChatPayError('provider_error', { cause: error });
}
