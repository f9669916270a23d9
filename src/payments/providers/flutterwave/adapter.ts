/**
 * Flutterwave v3: collections through a hosted payment link (Flutterwave Standard), bank payouts
 * through transfers, refunds, bank lists and account name lookup. Amounts travel as JSON numbers
 * in major units; see transformers.ts for the exact conversion.
 */
import { Secret } from '../../../shared/secret.ts';
import {
  type Bank,
  type CollectionRequest,
  type CollectionResult,
  type PaymentProvider,
  type PayoutRequest,
  type PayoutResult,
  type ProviderCapabilities,
  type ProviderContext,
  ProviderError,
  type ProviderTransaction,
  type RefundRequest,
  type RefundResult,
  type StatusQuery,
  type WebhookEvent,
  type WebhookReply,
  type WebhookRequest,
} from '../provider.ts';
import {
  asTransaction,
  asTransfer,
  isRecord,
  malformed,
  type TransferView,
  transactionView,
  transferView,
} from './answers.ts';
import { FlwClient, isDuplicateReference, isNotFound } from './client.ts';
import { apiBaseOf } from './options.ts';
import { amountToWire, bankCountryOf, refundStatus, transferRefusal } from './transformers.ts';
import { parseWebhook, verifyWebhook } from './webhooks.ts';
import type {
  FlwBank,
  FlwPaymentLink,
  FlwPaymentRequest,
  FlwRefund,
  FlwResolvedAccount,
  FlwTransaction,
  FlwTransfer,
  FlwTransferRequest,
} from './wire.ts';

export const flutterwaveCapabilities: ProviderCapabilities = {
  currencies: ['NGN', 'KES', 'UGX', 'RWF', 'TZS', 'USD', 'EUR'],
  countries: ['NG', 'KE', 'UG', 'RW', 'TZ'],
  methods: ['card', 'mobile_money', 'bank_transfer'],
  collectWith: 'email',
  collect: true,
  payout: true,
  payoutDestinations: ['bank'],
  refund: true,
  status: true,
  banks: true,
  resolveAccount: true,
};

/** Flutterwave truncates narrations; we keep ours short enough to survive bank statements. */
const narrationMax = 100;

function invalid(message: string): ProviderError {
  return new ProviderError('flutterwave', 'invalid_request', message, { retryable: false });
}

function wireAmount(minor: bigint, currency: string): number {
  if (!flutterwaveCapabilities.currencies.includes(currency))
    throw invalid(`currency ${currency} is not supported`);
  try {
    return amountToWire(minor, currency);
  } catch (error) {
    throw invalid(`amount cannot be sent: ${(error as Error).message}`);
  }
}

function numericId(providerId: string): string {
  if (!/^[0-9]{1,20}$/.test(providerId)) throw invalid('a Flutterwave id is numeric');
  return providerId;
}

export class FlutterwaveAdapter implements PaymentProvider {
  readonly id = 'flutterwave' as const;
  readonly mode: ProviderContext['mode'];
  readonly capabilities = flutterwaveCapabilities;
  readonly webhookReply: WebhookReply = {
    status: 200,
    contentType: 'application/json',
    body: '{"status":"success"}',
  };
  readonly #client: FlwClient;
  readonly #webhookHash: Secret | undefined;

  constructor(context: ProviderContext) {
    const key = context.env.FLUTTERWAVE_SECRET_KEY;
    if (key === undefined || key.length === 0)
      throw new Error('flutterwave: FLUTTERWAVE_SECRET_KEY is not set');
    const hash = context.env.FLUTTERWAVE_WEBHOOK_HASH;
    this.mode = context.mode;
    this.#webhookHash = hash === undefined || hash.length === 0 ? undefined : new Secret(hash);
    this.#client = new FlwClient({
      apiBase: apiBaseOf(context.env),
      secretKey: new Secret(key),
      timeoutMs: context.timeoutMs,
      logger: context.logger,
    });
  }

  async initiateCollection(request: CollectionRequest, signal?: AbortSignal): Promise<CollectionResult> {
    if (!request.email) throw invalid('Flutterwave checkout needs the payer email');
    const body: FlwPaymentRequest = {
      tx_ref: request.reference,
      amount: wireAmount(request.amountMinor, request.currency),
      currency: request.currency,
      // Flutterwave requires a redirect; without one the payer lands on our own site.
      redirect_url: request.returnUrl ?? `${new URL(request.callbackUrl).origin}/`,
      customer: {
        email: request.email,
        ...(request.name ? { name: request.name } : {}),
        ...(request.phone ? { phonenumber: request.phone } : {}),
      },
      customizations: { title: 'ChatPay', description: request.description.slice(0, narrationMax) },
      meta: { reference: request.reference },
    };
    // A repeated tx_ref creates no second charge (a link moves no money), so retrying is safe.
    const answer = await this.#client.call<FlwPaymentLink>({
      method: 'POST',
      path: '/payments',
      body,
      signal,
      idempotent: true,
    });
    const link = isRecord(answer.data) ? answer.data.link : undefined;
    if (typeof link !== 'string' || !/^https?:\/\//.test(link)) throw malformed('payment link');
    return { providerId: null, nextAction: { type: 'redirect', url: link } };
  }

  async initiatePayout(request: PayoutRequest, signal?: AbortSignal): Promise<PayoutResult> {
    const destination = request.destination;
    if (destination.type !== 'bank') throw invalid('Flutterwave payouts here go to bank accounts');
    const body: FlwTransferRequest = {
      account_bank: destination.bankCode,
      account_number: destination.accountNumber,
      amount: wireAmount(request.amountMinor, request.currency),
      currency: request.currency,
      debit_currency: request.currency,
      narration: request.description.slice(0, narrationMax),
      reference: request.reference,
      callback_url: request.callbackUrl,
      ...(destination.accountName ? { beneficiary_name: destination.accountName } : {}),
    };
    try {
      // Flutterwave refuses a reference it has seen, so a retry cannot pay twice.
      const answer = await this.#client.call<FlwTransfer>({
        method: 'POST',
        path: '/transfers',
        body,
        signal,
        idempotent: true,
      });
      return transferView(asTransfer(answer.data));
    } catch (error) {
      if (isDuplicateReference(error)) {
        // The first attempt did reach Flutterwave (its answer was lost): follow that transfer.
        const existing = await this.#findTransfer(request.reference, signal);
        if (!existing) throw malformed('a duplicate reference with no transfer behind it');
        return existing;
      }
      const refusal =
        error instanceof ProviderError &&
        error.httpStatus === 400 &&
        transferRefusal(error.providerCode ?? '');
      if (refusal) {
        throw new ProviderError('flutterwave', 'declined', `transfer refused: ${refusal.message}`, {
          retryable: false,
          httpStatus: 400,
          failure: refusal,
          cause: error,
        });
      }
      throw error;
    }
  }

  async getStatus(query: StatusQuery, signal?: AbortSignal): Promise<ProviderTransaction> {
    if (query.kind === 'payout') {
      if (query.providerId === null) {
        // Nothing under our reference: the payout never reached Flutterwave, nothing has moved.
        return (
          (await this.#findTransfer(query.reference, signal)) ?? {
            status: 'pending',
            reference: query.reference,
          }
        );
      }
      const answer = await this.#client.call<FlwTransfer>({
        method: 'GET',
        path: `/transfers/${numericId(query.providerId)}`,
        signal,
        idempotent: true,
      });
      return this.#matching(transferView(asTransfer(answer.data)), query.reference);
    }
    try {
      const tx = await this.#transaction(query.reference, query.providerId, signal);
      return this.#matching(transactionView(tx), query.reference);
    } catch (error) {
      // No transaction yet: the payer has not tried to pay on the link.
      if (isNotFound(error)) return { status: 'pending', reference: query.reference };
      throw error;
    }
  }

  async refund(request: RefundRequest, signal?: AbortSignal): Promise<RefundResult> {
    // The charge id we stored with the payment; without it, Flutterwave finds it by our tx_ref.
    const chargeId =
      request.providerId === null
        ? (await this.#transaction(request.paymentReference, null, signal)).id
        : numericId(request.providerId);
    const answer = await this.#client.call<FlwRefund>({
      method: 'POST',
      path: `/transactions/${chargeId}/refund`,
      body: { amount: wireAmount(request.amountMinor, request.currency), comments: request.refundId },
      signal,
      // v3 refunds take no idempotency key: a repeat after a timeout could refund twice.
      idempotent: false,
    });
    const data = answer.data;
    if (!isRecord(data) || typeof data.id !== 'number' || typeof data.status !== 'string')
      throw malformed('refund');
    return { providerId: String(data.id), status: refundStatus(data.status) };
  }

  async listBanks(currency: string, signal?: AbortSignal): Promise<Bank[]> {
    const country = bankCountryOf(currency);
    if (!country) throw invalid(`no Flutterwave bank list for ${currency}`);
    const answer = await this.#client.call<FlwBank[]>({
      method: 'GET',
      path: `/banks/${country}`,
      signal,
      idempotent: true,
    });
    if (!Array.isArray(answer.data)) throw malformed('bank list');
    return answer.data
      .filter(
        (bank): bank is FlwBank =>
          isRecord(bank) && typeof bank.code === 'string' && typeof bank.name === 'string',
      )
      .map((bank) => ({
        code: bank.code,
        name: bank.name,
        currency,
        ...(/mobile money|mpesa|m-pesa|wallet/i.test(bank.name) ? { mobileMoney: true } : {}),
      }));
  }

  async resolveAccount(bankCode: string, accountNumber: string, signal?: AbortSignal): Promise<string> {
    try {
      const answer = await this.#client.call<FlwResolvedAccount>({
        method: 'POST',
        path: '/accounts/resolve',
        body: { account_number: accountNumber, account_bank: bankCode },
        signal,
        idempotent: true,
      });
      const name = isRecord(answer.data) ? answer.data.account_name : undefined;
      if (typeof name !== 'string' || name.length === 0) throw malformed('resolved account');
      return name;
    } catch (error) {
      if (error instanceof ProviderError && error.httpStatus === 400) {
        throw new ProviderError('flutterwave', 'invalid_request', 'the account could not be resolved', {
          retryable: false,
          httpStatus: 400,
          ...(error.providerCode ? { providerCode: error.providerCode } : {}),
          failure: { code: 'invalid_destination', message: 'The destination account is invalid.' },
          cause: error,
        });
      }
      throw error;
    }
  }

  verifyWebhook(request: WebhookRequest): void {
    verifyWebhook(this.#webhookHash, request);
  }

  parseWebhook(request: WebhookRequest): WebhookEvent[] {
    return parseWebhook(request);
  }

  /** A charge by its numeric id when we have it, else by our tx_ref. */
  async #transaction(
    reference: string,
    providerId: string | null,
    signal?: AbortSignal,
  ): Promise<FlwTransaction> {
    const answer =
      providerId === null
        ? await this.#client.call<FlwTransaction>({
            method: 'GET',
            path: '/transactions/verify_by_reference',
            query: { tx_ref: reference },
            signal,
            idempotent: true,
          })
        : await this.#client.call<FlwTransaction>({
            method: 'GET',
            path: `/transactions/${numericId(providerId)}/verify`,
            signal,
            idempotent: true,
          });
    return asTransaction(answer.data);
  }

  /** The transfer Flutterwave holds under our reference, if any. */
  async #findTransfer(reference: string, signal: AbortSignal | undefined): Promise<TransferView | undefined> {
    const answer = await this.#client.call<FlwTransfer[]>({
      method: 'GET',
      path: '/transfers',
      query: { reference },
      signal,
      idempotent: true,
    });
    if (!Array.isArray(answer.data)) throw malformed('transfer list');
    const found = answer.data.map(asTransfer).find((transfer) => transfer.reference === reference);
    return found ? transferView(found) : undefined;
  }

  /** Flutterwave's answer must be about the transaction we asked for: a mix-up must not settle money. */
  #matching<T extends ProviderTransaction>(view: T, reference: string): T {
    if (view.reference !== undefined && view.reference !== reference) {
      throw invalid('the provider answered about another reference');
    }
    return view;
  }
}
