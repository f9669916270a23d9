/**
 * The Chapa adapter (API v1): hosted checkout for collections, bank and wallet transfers for
 * payouts, verify endpoints for reconciliation, refunds, the bank list, and HMAC-signed webhooks.
 */
import type { Logger } from '../../../shared/logger.ts';
import { Secret } from '../../../shared/secret.ts';
import { httpError, type ProviderResponse, providerRequest } from '../http.ts';
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
  type ProviderMode,
  type ProviderTransaction,
  type RefundRequest,
  type RefundResult,
  type StatusQuery,
  type WebhookEvent,
  type WebhookReply,
  type WebhookRequest,
} from '../provider.ts';
import { chapaProductionBase } from './options.ts';
import {
  bankFromChapa,
  chapaCurrencies,
  chargeStatus,
  fromChapaAmount,
  isActiveBank,
  isAlreadyRefunded,
  isChapaCurrency,
  isDuplicateReference,
  isInsufficientBalance,
  isInvalidDestination,
  messageText,
  type StatusMapping,
  splitName,
  toChapaAmount,
  toChapaDescription,
  toChapaPhone,
  transferStatus,
} from './transformers.ts';
import { parseChapaWebhook, verifyChapaSignature } from './webhook.ts';
import type {
  ChapaBank,
  ChapaEnvelope,
  ChapaInitializeRequest,
  ChapaRefund,
  ChapaTransaction,
  ChapaTransfer,
  ChapaTransferRequest,
} from './wire.ts';

export const chapaCapabilities: ProviderCapabilities = {
  currencies: chapaCurrencies,
  countries: ['ET'],
  methods: ['mobile_money', 'card', 'bank_transfer'],
  collectWith: 'email',
  collect: true,
  payout: true,
  // telebirr, M-Pesa and CBE Birr wallets are "banks" in Chapa's list, paid by account number.
  payoutDestinations: ['bank'],
  refund: true,
  status: true,
  banks: true,
  resolveAccount: false,
};

const defaultCheckoutTitle = 'ChatPay';

export class ChapaProvider implements PaymentProvider {
  readonly id = 'chapa' as const;
  readonly mode: ProviderMode;
  readonly capabilities = chapaCapabilities;
  readonly webhookReply: WebhookReply = {
    status: 200,
    contentType: 'application/json',
    body: '{"received":true}',
  };

  readonly #base: string;
  readonly #secretKey: Secret;
  readonly #webhookSecret: Secret | undefined;
  readonly #checkoutTitle: string;
  readonly #timeoutMs: number;
  readonly #logger: Logger;

  constructor(context: ProviderContext) {
    const key = context.env.CHAPA_SECRET_KEY;
    if (!key) throw new ProviderError('chapa', 'auth', 'CHAPA_SECRET_KEY is not set');
    this.mode = context.mode;
    this.#secretKey = new Secret(key);
    const webhookSecret = context.env.CHAPA_WEBHOOK_SECRET;
    this.#webhookSecret = webhookSecret ? new Secret(webhookSecret) : undefined;
    this.#base = (context.env.CHAPA_API_BASE ?? chapaProductionBase).replace(/\/+$/, '');
    this.#checkoutTitle = context.env.CHAPA_CHECKOUT_TITLE ?? defaultCheckoutTitle;
    this.#timeoutMs = context.timeoutMs;
    this.#logger = context.logger;
  }

  async initiateCollection(request: CollectionRequest, signal?: AbortSignal): Promise<CollectionResult> {
    requireCurrency(request.currency);
    const phone = toChapaPhone(request.phone);
    // No callback_url: Chapa calls it with an unsigned GET; the signed dashboard webhook is our channel.
    const body: ChapaInitializeRequest = {
      amount: toChapaAmount(request.amountMinor, request.currency),
      currency: request.currency,
      tx_ref: request.reference,
      ...(request.email ? { email: request.email } : {}),
      ...splitName(request.name),
      ...(phone ? { phone_number: phone } : {}),
      ...(request.returnUrl ? { return_url: request.returnUrl } : {}),
      customization: { title: this.#checkoutTitle, description: toChapaDescription(request.description) },
    };
    const response = await this.#call('POST', '/v1/transaction/initialize', body, signal);
    if (response.status >= 200 && response.status < 300) {
      const url = (response.json as ChapaEnvelope<{ checkout_url?: unknown } | null> | undefined)?.data
        ?.checkout_url;
      if (typeof url !== 'string' || !/^https?:\/\//.test(url))
        throw malformed('initialize answer has no checkout_url');
      return { providerId: null, nextAction: { type: 'redirect', url } };
    }
    const message = messageText(response.json);
    if (response.status === 400 && isDuplicateReference(message)) {
      // The checkout link of the first attempt cannot be fetched again: the caller needs a new reference.
      throw new ProviderError('chapa', 'invalid_request', `tx_ref was used before: ${message}`, {
        httpStatus: 400,
        providerCode: 'duplicate_tx_ref',
        retryable: false,
      });
    }
    throw this.#failure(response, message);
  }

  async initiatePayout(request: PayoutRequest, signal?: AbortSignal): Promise<PayoutResult> {
    const body = transferBody(request);
    const response = await this.#call('POST', '/v1/transfers', body, signal);
    if (response.status >= 200 && response.status < 300) {
      if ((response.json as ChapaEnvelope<unknown> | undefined)?.status !== 'success') {
        throw malformed('transfer answer is not a success');
      }
      return { providerId: null, status: 'pending' };
    }
    const message = messageText(response.json);
    if (response.status === 400 && isDuplicateReference(message)) {
      // A retry of a transfer Chapa already has: report the one it holds, never a second transfer.
      const existing = await this.getStatus(
        { kind: 'payout', reference: request.reference, providerId: null },
        signal,
      );
      return { providerId: null, status: existing.status, failure: existing.failure };
    }
    if (response.status === 400 && isInsufficientBalance(message)) {
      throw declined('insufficient_funds', message, 'insufficient_balance');
    }
    if (response.status === 400 && isInvalidDestination(message)) {
      throw declined('invalid_destination', message, 'invalid_destination');
    }
    throw this.#failure(response, message);
  }

  async getStatus(query: StatusQuery, signal?: AbortSignal): Promise<ProviderTransaction> {
    const path =
      query.kind === 'collection'
        ? `/v1/transaction/verify/${encodeURIComponent(query.reference)}`
        : `/v1/transfers/verify/${encodeURIComponent(query.reference)}`;
    const response = await this.#call('GET', path, undefined, signal);
    if (response.status < 200 || response.status >= 300) {
      const message = messageText(response.json);
      if (
        response.status === 404 ||
        (response.status === 400 && /not found|invalid transaction/i.test(message))
      ) {
        throw new ProviderError('chapa', 'invalid_request', `Chapa does not know ${query.reference}`, {
          httpStatus: response.status,
          providerCode: 'not_found',
        });
      }
      throw this.#failure(response, message);
    }
    const data = (response.json as ChapaEnvelope<unknown> | undefined)?.data;
    if (typeof data !== 'object' || data === null) throw malformed('verify answer has no data');
    return query.kind === 'collection'
      ? this.#transaction(data as ChapaTransaction)
      : this.#transfer(data as ChapaTransfer);
  }

  async refund(request: RefundRequest, signal?: AbortSignal): Promise<RefundResult> {
    requireCurrency(request.currency);
    const target = request.providerId ?? request.paymentReference;
    const form = new URLSearchParams({
      reason: 'Refund requested',
      amount: toChapaAmount(request.amountMinor, request.currency),
      reference: request.refundId,
    });
    const response = await this.#call(
      'POST',
      `/v1/refund/${encodeURIComponent(target)}`,
      form.toString(),
      signal,
      {
        'content-type': 'application/x-www-form-urlencoded',
      },
    );
    if (response.status >= 200 && response.status < 300) {
      const data = (response.json as ChapaEnvelope<ChapaRefund | null> | undefined)?.data;
      const done = data?.status === 'refunded' || data?.status === 'success';
      const providerId = typeof data?.chapa_reference === 'string' ? data.chapa_reference : null;
      return { providerId, status: done ? 'succeeded' : 'pending' };
    }
    const message = messageText(response.json);
    // Chapa refunds a transaction once: a repeat of our refund finds it done.
    if (response.status === 400 && isAlreadyRefunded(message))
      return { providerId: null, status: 'succeeded' };
    if (response.status === 400 && isInsufficientBalance(message)) {
      throw declined('insufficient_funds', message, 'insufficient_balance');
    }
    throw this.#failure(response, message);
  }

  async listBanks(currency: string, signal?: AbortSignal): Promise<Bank[]> {
    const response = await this.#call('GET', '/v1/banks', undefined, signal);
    if (response.status < 200 || response.status >= 300)
      throw this.#failure(response, messageText(response.json));
    const data = (response.json as ChapaEnvelope<unknown> | undefined)?.data;
    if (!Array.isArray(data)) throw malformed('bank list is not an array');
    return (data as ChapaBank[])
      .filter((bank) => typeof bank?.id === 'number' && typeof bank.name === 'string')
      .filter((bank) => isActiveBank(bank) && (!bank.currency || bank.currency === currency))
      .map(bankFromChapa);
  }

  verifyWebhook(request: WebhookRequest): void {
    verifyChapaSignature(request, this.#webhookSecret);
  }

  parseWebhook(request: WebhookRequest): WebhookEvent[] {
    return parseChapaWebhook(request.rawBody, this.mode);
  }

  #transaction(data: ChapaTransaction): ProviderTransaction {
    const mapping = requireStatus(chargeStatus(String(data.status ?? '')), data.status);
    const currency = typeof data.currency === 'string' ? data.currency : undefined;
    const amountMinor = currency ? fromChapaAmount(data.amount, currency) : undefined;
    return {
      ...mapping,
      reference: data.tx_ref,
      ...(typeof data.reference === 'string' ? { providerId: data.reference, receipt: data.reference } : {}),
      amountMinor,
      currency,
    };
  }

  #transfer(data: ChapaTransfer): ProviderTransaction {
    const mapping = requireStatus(transferStatus(String(data.status ?? '')), data.status);
    const currency = typeof data.currency === 'string' ? data.currency : undefined;
    return {
      ...mapping,
      reference: data.tx_ref,
      ...(typeof data.chapa_transfer_id === 'string' ? { providerId: data.chapa_transfer_id } : {}),
      ...(typeof data.cross_party_reference === 'string' ? { receipt: data.cross_party_reference } : {}),
      amountMinor: currency ? fromChapaAmount(data.amount, currency) : undefined,
      currency,
    };
  }

  async #call(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    headers: Record<string, string> = {},
  ): Promise<ProviderResponse> {
    const response = await providerRequest('chapa', {
      method,
      url: `${this.#base}${path}`,
      headers: { authorization: `Bearer ${this.#secretKey.reveal()}`, ...headers },
      body,
      timeoutMs: this.#timeoutMs,
      signal,
    });
    this.#logger.debug({ provider: 'chapa', method, path, status: response.status }, 'chapa call');
    return response;
  }

  /**
   * A refused call, with Chapa's own words (never secret). Every Chapa write is keyed by our
   * reference and refused when repeated, so a 5xx is always safe to retry.
   */
  #failure(response: ProviderResponse, message: string): ProviderError {
    const error = httpError('chapa', response);
    if (!message) return error;
    return new ProviderError(
      'chapa',
      error.kind,
      `${error.message.replace(/^chapa: /, '')}: ${message.slice(0, 200)}`,
      {
        httpStatus: response.status,
        retryable: error.retryable,
      },
    );
  }
}

function transferBody(request: PayoutRequest): ChapaTransferRequest {
  requireCurrency(request.currency);
  const destination = request.destination;
  if (destination.type !== 'bank') {
    throw new ProviderError(
      'chapa',
      'invalid_request',
      'Chapa pays out to banks and wallets by bank code only',
      {
        retryable: false,
      },
    );
  }
  if (!/^\d+$/.test(destination.bankCode)) {
    throw declined('invalid_destination', 'bank code must be a Chapa bank id (digits)', 'invalid_bank_code');
  }
  if (!destination.accountName) {
    throw new ProviderError('chapa', 'invalid_request', 'Chapa transfers need the account holder name', {
      retryable: false,
    });
  }
  return {
    account_name: destination.accountName,
    account_number: destination.accountNumber,
    amount: toChapaAmount(request.amountMinor, request.currency),
    currency: request.currency,
    reference: request.reference,
    bank_code: Number(destination.bankCode),
  };
}

function requireCurrency(currency: string): void {
  if (!isChapaCurrency(currency)) {
    throw new ProviderError('chapa', 'invalid_request', `Chapa does not take ${currency}`, {
      retryable: false,
    });
  }
}

function requireStatus(mapping: StatusMapping | undefined, status: unknown): StatusMapping {
  if (!mapping) throw malformed(`unknown status ${JSON.stringify(status)}`);
  return mapping;
}

function declined(code: 'insufficient_funds' | 'invalid_destination', message: string, providerCode: string) {
  return new ProviderError('chapa', 'declined', message, {
    retryable: false,
    providerCode,
    failure: { code, providerCode, message },
  });
}

function malformed(what: string): ProviderError {
  return new ProviderError('chapa', 'unavailable', `malformed answer: ${what}`);
}
