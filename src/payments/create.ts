/** Checks and the insert shared by collections and withdrawals. */
import type { PoolClient } from '../db/pool.ts';
import { ChatPayError } from '../shared/errors.ts';
import { formatAmount } from '../shared/money.ts';
import type { KycLevel } from '../users/index.ts';
import type { PaymentsContext } from './context.ts';
import type { Direction } from './fees.ts';
import type { PaymentProvider, ProviderMode } from './providers/provider.ts';
import { findPayment, type PaymentRecord, type PaymentRow, paymentColumns, toRecord } from './records.ts';

/**
 * The mode of the money a payment moves: a merchant's key's (one balance per mode), or for a person,
 * their wallets' (`WALLETS_MODE`). Its provider must run in it (`checkProvider`).
 */
export function moneyModeOf(
  ctx: PaymentsContext,
  owner: { readonly userId: string } | { readonly mode: ProviderMode },
): ProviderMode {
  return 'mode' in owner ? owner.mode : ctx.settings.walletsMode;
}

/** The enabled provider, checked for the currency and (for merchant keys) the key's mode. */
export function checkProvider(
  ctx: PaymentsContext,
  id: string,
  currency: string,
  /** The mode the money is in: a merchant key's, or people's wallets' (settings.walletsMode). */
  mode: ProviderMode | undefined,
): PaymentProvider {
  const provider = ctx.gateway.provider(id);
  if (mode && provider.mode !== mode) throw new ChatPayError('provider_mode_mismatch', { param: 'provider' });
  if (!provider.capabilities.currencies.includes(currency)) {
    throw new ChatPayError('currency_not_supported', {
      param: 'currency',
      message: `${id} takes ${provider.capabilities.currencies.join(', ')}.`,
    });
  }
  return provider;
}

/** Refuses amounts the provider can't express (M-Pesa: whole shillings). */
export function checkStep(provider: PaymentProvider, currency: string, amount: bigint): void {
  const step = provider.capabilities.amountStepMinor?.[currency];
  if (step !== undefined && amount % step !== 0n) {
    throw new ChatPayError('amount_not_supported', {
      param: 'amount',
      message: `${provider.id} takes ${currency} in steps of ${formatAmount(step, currency)} (fee included).`,
    });
  }
}

/**
 * The daily limit, checked under a per-user, per-currency advisory lock held until the insert
 * commits: parallel requests are counted one after another, never all against the same total.
 * The user's KYC-level limits are checked here too, under the same lock.
 */
export async function checkDailyLimit(
  ctx: PaymentsContext,
  client: PoolClient,
  userId: string,
  direction: Direction,
  currency: string,
  amount: bigint,
): Promise<void> {
  const daily = ctx.limits.rule(currency, direction)?.perDayMax !== undefined;
  const byLevel = ctx.limits.kyc.guards(direction, currency);
  if (!daily && !byLevel) return;
  // One lock and one read serve both limits: the last 24 hours' payments, counted one request at a
  // time, and the KYC level as it is now (an approval landing meanwhile counts for the next payment).
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
    `limit:${userId}:${direction}:${currency}`,
  ]);
  const { rows } = await client.query<{ kyc_level: KycLevel; used: string | null }>({
    name: 'payments_limits_used',
    text: `SELECT u.kyc_level, (SELECT sum(amount)::text FROM payments
              WHERE user_id = $1 AND kind = $2 AND currency = $3 AND created_at > now() - interval '24 hours'
                AND status NOT IN ('failed', 'canceled', 'expired', 'rejected')) AS used
             FROM users u WHERE u.id = $1`,
    values: [userId, direction, currency],
  });
  const used = BigInt(rows[0]?.used ?? '0');
  if (byLevel) ctx.limits.kyc.checkAmounts(rows[0]?.kyc_level ?? 'none', currency, direction, amount, used);
  if (daily) ctx.limits.checkDaily(currency, direction, amount, used);
}

/** A payment as it is first stored: the record's own fields, the rest (status history, …) to come. */
export interface NewPayment
  extends Pick<
    PaymentRecord,
    | 'id'
    | 'kind'
    | 'provider'
    | 'mode'
    | 'status'
    | 'userId'
    | 'merchantId'
    | 'accountId'
    | 'amount'
    | 'fee'
    | 'currency'
    | 'payer'
    | 'destination'
    | 'metadata'
    | 'requestedBy'
  > {
  readonly reconcileAfterSeconds: number;
  /** Runs in the insert's transaction first (limit checks). */
  readonly beforeInsert?: ((client: PoolClient) => Promise<void>) | undefined;
  /** Runs in the insert's transaction after a fresh insert (enqueue the next job). */
  readonly afterInsert?: ((client: PoolClient) => Promise<void>) | undefined;
}

/** Inserts the payment, or returns the one already stored under this id (a retried request). */
export async function insertPayment(ctx: PaymentsContext, p: NewPayment): Promise<PaymentRecord> {
  const client = await ctx.pool.connect();
  try {
    await client.query('BEGIN');
    await p.beforeInsert?.(client);
    const { rows } = await client.query<PaymentRow>({
      name: 'payments_insert',
      text: `INSERT INTO payments (id, kind, provider, mode, status, user_id, merchant_id, account_id, amount, fee,
               currency, payer, destination, metadata, requested_by, reconcile_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
               now() + make_interval(secs => $16))
             ON CONFLICT (id) DO NOTHING RETURNING ${paymentColumns}`,
      values: [
        p.id,
        p.kind,
        p.provider,
        p.mode,
        p.status,
        p.userId,
        p.merchantId,
        p.accountId,
        p.amount.toString(),
        p.fee.toString(),
        p.currency,
        p.payer && JSON.stringify(p.payer),
        p.destination && JSON.stringify(p.destination),
        p.metadata && JSON.stringify(p.metadata),
        p.requestedBy,
        p.reconcileAfterSeconds,
      ],
    });
    if (rows[0]) await p.afterInsert?.(client);
    await client.query('COMMIT');
    if (rows[0]) return toRecord(rows[0]);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  const found = await findPayment(ctx.pool, p.id);
  if (!found) throw new Error(`payment ${p.id} neither inserted nor found`);
  return found;
}
