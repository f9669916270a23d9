/**
 * The payments service: the one entry point the API, the jobs and (later) the bots use for money
 * in and out through providers.
 */
import { ChatPayError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { formatAmount, parseAmount } from '../shared/money.ts';
import { PlatformAccounts } from './accounts.ts';
import { type CollectionInput, createCollection } from './collections.ts';
import type { PaymentsContext } from './context.ts';
import { checkProvider } from './create.ts';
import { type Direction, FeeSchedule, parseFeeSchedule } from './fees.ts';
import type { ProviderHealth } from './gateway.ts';
import { applyWebhook, listWebhookEvents, receiveWebhook } from './inbox.ts';
import { InboxWriter } from './inbox-writer.ts';
import { Limits, parseKycLimits, parseLimits } from './limits.ts';
import type { Bank, ProviderCapabilities, WebhookRequest } from './providers/provider.ts';
import { type ReconcileReport, reconcile } from './reconcile.ts';
import {
  findPayment,
  type PaymentKind,
  type PaymentRecord,
  type PaymentRow,
  type PaymentView,
  paymentColumns,
  paymentView,
  toRecord,
} from './records.ts';
import { type RefundView, refundPayment } from './refunds.ts';
import { EditableRules } from './settings.ts';
import { finish, moveMoney } from './settle.ts';
import { createWithdrawal, decideWithdrawal, sendPayout, type WithdrawalInput } from './withdrawals.ts';

export interface QuoteInput {
  readonly provider: string;
  readonly direction: Direction;
  readonly amount: string;
  readonly currency: string;
}

export interface QuoteView {
  readonly object: 'quote';
  readonly provider: string;
  readonly direction: Direction;
  readonly amount: string;
  readonly fee: string;
  /** Deposit: what the payer is charged. Withdrawal: what leaves the wallet. */
  readonly total: string;
  readonly currency: string;
  /** Withdrawals above the approval threshold wait for an operator. */
  readonly requires_approval: boolean;
}

export interface ProviderView {
  readonly id: string;
  readonly object: 'provider';
  readonly mode: 'test' | 'live';
  /** People's deposits and withdrawals may use it: it runs in their wallets' mode (WALLETS_MODE). */
  readonly wallets: boolean;
  readonly sandbox: boolean;
  readonly circuit: string;
  readonly collect_with: 'phone' | 'email';
  readonly capabilities: Omit<ProviderCapabilities, 'amountStepMinor' | 'collectWith'>;
}

export class Payments {
  readonly #ctx: PaymentsContext;
  readonly #rules: EditableRules;

  constructor(context: PaymentsContext, rules: EditableRules) {
    this.#ctx = context;
    this.#rules = rules;
  }

  get context(): PaymentsContext {
    return this.#ctx;
  }

  /** The fee schedule and limits in force, which operators edit (see settings.ts). */
  get rules(): EditableRules {
    return this.#rules;
  }

  quote(input: QuoteInput): QuoteView {
    const amount = parseAmount(input.amount, input.currency);
    // Quotes are for people's deposits and withdrawals: only their wallets' mode's providers.
    const provider = checkProvider(this.#ctx, input.provider, input.currency, this.#ctx.settings.walletsMode);
    const fee = this.#ctx.fees.fee(provider.id, input.currency, input.direction, amount);
    this.#ctx.limits.checkTransaction(input.currency, input.direction, amount);
    const threshold = this.#ctx.settings.approvalAbove.get(input.currency);
    return {
      object: 'quote',
      provider: provider.id,
      direction: input.direction,
      amount: formatAmount(amount, input.currency),
      fee: formatAmount(fee, input.currency),
      total: formatAmount(amount + fee, input.currency),
      currency: input.currency,
      requires_approval: input.direction === 'withdrawal' && (threshold === undefined || amount > threshold),
    };
  }

  /** The limits a person meets for `direction` in `currency` (amounts in major units), to show up front. */
  limitsFor(
    currency: string,
    direction: Direction,
  ): { readonly min?: string; readonly max?: string; readonly perDay?: string } {
    const rule = this.#ctx.limits.rule(currency, direction);
    const money = (minor: bigint | undefined) =>
      minor === undefined ? undefined : formatAmount(minor, currency);
    const limits: { min?: string; max?: string; perDay?: string } = {};
    const min = money(rule?.perTransactionMin);
    const max = money(rule?.perTransactionMax);
    const perDay = money(rule?.perDayMax);
    if (min) limits.min = min;
    if (max) limits.max = max;
    if (perDay) limits.perDay = perDay;
    return limits;
  }

  createCollection(input: CollectionInput): Promise<PaymentView> {
    return createCollection(this.#ctx, input);
  }

  createWithdrawal(input: WithdrawalInput): Promise<PaymentView> {
    return createWithdrawal(this.#ctx, input);
  }

  decideWithdrawal(
    id: string,
    operatorId: string,
    decision: { approve: boolean; reason?: string | undefined },
  ) {
    return decideWithdrawal(this.#ctx, id, operatorId, decision);
  }

  /** A user's own deposit or withdrawal; anyone else's is indistinguishable from a missing one. */
  async getForUser(kind: 'deposit' | 'withdrawal', userId: string, id: string): Promise<PaymentView> {
    const payment = await findPayment(this.#ctx.pool, id);
    if (payment?.kind !== kind || payment.userId !== userId) {
      throw new ChatPayError(kind === 'deposit' ? 'deposit_not_found' : 'withdrawal_not_found');
    }
    return paymentView(payment);
  }

  /** A merchant's own payment (or payout), in the key's mode. */
  async getForMerchant(
    merchantId: string,
    mode: 'test' | 'live',
    id: string,
    kind: 'collection' | 'withdrawal' = 'collection',
  ): Promise<PaymentView> {
    const payment = await findPayment(this.#ctx.pool, id);
    if (payment?.kind !== kind || payment.merchantId !== merchantId || payment.mode !== mode) {
      throw new ChatPayError(kind === 'collection' ? 'payment_not_found' : 'payout_not_found');
    }
    return paymentView(payment);
  }

  async get(id: string): Promise<PaymentView> {
    const payment = await findPayment(this.#ctx.pool, id);
    if (!payment) throw new ChatPayError('payment_not_found');
    return paymentView(payment);
  }

  /** `logger`: the request's, so a rejected webhook's security event carries the request id. */
  receiveWebhook(provider: string, request: WebhookRequest, ip: string | undefined, logger?: Logger) {
    return receiveWebhook(this.#ctx, provider, request, ip, logger);
  }

  webhookEvents(filter: Parameters<typeof listWebhookEvents>[1]) {
    return listWebhookEvents(this.#ctx, filter);
  }

  applyWebhook(eventId: string) {
    return applyWebhook(this.#ctx, eventId);
  }

  refund(input: Parameters<typeof refundPayment>[1]): Promise<RefundView> {
    return refundPayment(this.#ctx, input);
  }

  sendPayout(id: string): Promise<void> {
    return sendPayout(this.#ctx, id);
  }

  reconcile(): Promise<ReconcileReport> {
    return reconcile(this.#ctx);
  }

  /**
   * An operator settles a payment in `needs_review`: `succeeded` moves the money as a success would
   * (credit, or post the withdrawal's hold), `failed` as a failure would. The reason is kept.
   */
  async resolveReview(
    id: string,
    operatorId: string,
    resolution: { readonly outcome: 'succeeded' | 'failed'; readonly reason: string },
  ): Promise<PaymentView> {
    const payment = await findPayment(this.#ctx.pool, id);
    if (!payment) throw new ChatPayError('payment_not_found');
    if (payment.status !== 'needs_review') throw new ChatPayError('review_not_open');
    const problem = await moveMoney(this.#ctx, payment, resolution.outcome);
    if (problem) throw new Error(`review ${id}: ${problem}`);
    const moved = await finish(this.#ctx, payment, 'needs_review', resolution.outcome, {
      failure:
        resolution.outcome === 'failed'
          ? { code: 'processing_error', message: 'Resolved by an operator.' }
          : undefined,
    });
    if (!moved) throw new ChatPayError('review_not_open');
    await this.#ctx.pool.query(`UPDATE payments SET decided_by = $2, decision_reason = $3 WHERE id = $1`, [
      id,
      operatorId,
      resolution.reason,
    ]);
    return paymentView((await findPayment(this.#ctx.pool, id)) as PaymentRecord);
  }

  providers(): ProviderView[] {
    const health = new Map<string, ProviderHealth>(this.#ctx.gateway.health().map((h) => [h.id, h]));
    return this.#ctx.gateway.ids().map((id) => {
      const provider = this.#ctx.gateway.provider(id);
      const { amountStepMinor: _step, collectWith, ...capabilities } = provider.capabilities;
      const h = health.get(id);
      return {
        id,
        object: 'provider',
        mode: provider.mode,
        wallets: provider.mode === this.#ctx.settings.walletsMode,
        sandbox: h?.sandbox ?? false,
        circuit: h?.circuit ?? 'closed',
        collect_with: collectWith,
        capabilities,
      };
    });
  }

  /** The providers people's deposits and withdrawals may use: those in the wallets' mode. */
  walletProviders(): ProviderView[] {
    return this.providers().filter((p) => p.wallets);
  }

  async banks(providerId: string, currency: string): Promise<Bank[]> {
    const provider = checkProvider(this.#ctx, providerId, currency, undefined);
    if (!provider.capabilities.banks || !provider.listBanks) {
      throw new ChatPayError('operation_not_supported', {
        param: 'provider',
        message: `${provider.id} has no bank list.`,
      });
    }
    return this.#ctx.gateway.call(
      provider.id,
      (p, signal) => (p.listBanks as NonNullable<typeof p.listBanks>)(currency, signal),
      {
        idempotent: true,
      },
    );
  }

  async resolveAccount(
    providerId: string,
    currency: string,
    bankCode: string,
    accountNumber: string,
  ): Promise<string> {
    const provider = checkProvider(this.#ctx, providerId, currency, undefined);
    const resolve = provider.resolveAccount;
    if (!provider.capabilities.resolveAccount || !resolve) {
      throw new ChatPayError('operation_not_supported', {
        param: 'provider',
        message: `${provider.id} cannot look up account names.`,
      });
    }
    return this.#ctx.gateway.call(
      provider.id,
      (p, signal) => resolve.call(p, bankCode, accountNumber, signal),
      {
        idempotent: true,
      },
    );
  }

  async list(filter: {
    readonly kind?: PaymentKind | undefined;
    readonly status?: string | undefined;
    readonly provider?: string | undefined;
    readonly merchantId?: string | undefined;
    readonly mode?: 'test' | 'live' | undefined;
    readonly limit: number;
    readonly startingAfter?: string | undefined;
  }): Promise<PaymentView[]> {
    const { rows } = await this.#ctx.pool.query<PaymentRow>(
      `SELECT ${paymentColumns} FROM payments
        WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR provider = $3)
          AND ($4::text IS NULL OR (created_at, id) < (SELECT created_at, id FROM payments WHERE id = $4))
          AND ($6::text IS NULL OR merchant_id = $6) AND ($7::text IS NULL OR mode = $7)
        ORDER BY created_at DESC, id DESC LIMIT $5`,
      [
        filter.kind ?? null,
        filter.status ?? null,
        filter.provider ?? null,
        filter.startingAfter ?? null,
        filter.limit,
        filter.merchantId ?? null,
        filter.mode ?? null,
      ],
    );
    return rows.map((row) => paymentView(toRecord(row)));
  }
}

export interface PaymentsOptions {
  readonly pool: PaymentsContext['pool'];
  readonly ledger: PaymentsContext['ledger'];
  readonly wallets: PaymentsContext['wallets'];
  readonly gateway: PaymentsContext['gateway'];
  readonly events?: PaymentsContext['events'];
  readonly logger: PaymentsContext['logger'];
  /** Our public base URL, or a function giving it (a test server knows its port only once listening). */
  readonly publicUrl: string | (() => string);
  /** `PAYMENT_FEES` and `PAYMENT_LIMITS` as configured (JSON). */
  readonly feesJson: string;
  readonly limitsJson: string;
  /** `KYC_LIMITS` as configured (JSON); unset: no limits by KYC level. */
  readonly kycLimitsJson?: string | undefined;
  readonly settings: PaymentsContext['settings'];
}

export function buildPayments(options: PaymentsOptions): Payments {
  const publicUrl = options.publicUrl;
  const base = () => (typeof publicUrl === 'string' ? publicUrl : publicUrl()).replace(/\/$/, '');
  const fees = new FeeSchedule(parseFeeSchedule(options.feesJson));
  const limits = new Limits(parseLimits(options.limitsJson), parseKycLimits(options.kycLimitsJson ?? '[]'));
  const logger = options.logger.child({ component: 'payments' });
  const rules = new EditableRules({ ...options, logger, fees, limits });
  return new Payments(
    {
      pool: options.pool,
      ledger: options.ledger,
      wallets: options.wallets,
      accounts: new PlatformAccounts(options.ledger),
      gateway: options.gateway,
      fees,
      limits,
      inbox: new InboxWriter(options.pool),
      events: options.events,
      logger,
      settings: options.settings,
      webhookUrl: (provider) => `${base()}/v1/webhooks/${provider}`,
    },
    rules,
  );
}
