/**
 * The M-Pesa Daraja adapter: STK push collections, B2C payouts to phones, status through the STK
 * query and the Transaction Status API, and unsigned callbacks authenticated by a URL token.
 */

import type { Logger } from '../../../shared/logger.ts';
import { httpError, type ProviderResponse, providerRequest } from '../http.ts';
import {
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
  type StatusQuery,
  type WebhookEvent,
  type WebhookReply,
  type WebhookRequest,
} from '../provider.ts';
import { TokenSource } from './oauth.ts';
import { type MpesaSettings, readSettings } from './options.ts';
import {
  accountReference,
  checkReference,
  currency,
  darajaTimestamp,
  errorBody,
  isRecord,
  originatorConversationId,
  remarks,
  resultCodeText,
  statusOccasionPrefix,
  stkOutcome,
  stkPassword,
  stringField,
  toMsisdn,
  toShillings,
  transactionDesc,
} from './transformers.ts';
import { parseCallback, readAsyncResult, statusReport, verifyToken } from './webhook.ts';
import type { B2cRequest, StkPushRequest, StkQueryRequest, TransactionStatusRequest } from './wire.ts';
import { callbackAccepted } from './wire.ts';

export const mpesaCapabilities: ProviderCapabilities = {
  currencies: [currency],
  countries: ['KE'],
  methods: ['mobile_money'],
  collectWith: 'phone',
  collect: true,
  payout: true,
  payoutDestinations: ['phone'],
  refund: false,
  status: true,
  banks: false,
  resolveAccount: false,
  amountStepMinor: { KES: 100n },
};

export class MpesaAdapter implements PaymentProvider {
  readonly id = 'mpesa' as const;
  readonly mode: ProviderMode;
  readonly capabilities = mpesaCapabilities;
  readonly webhookReply: WebhookReply = {
    status: 200,
    contentType: 'application/json',
    body: JSON.stringify(callbackAccepted),
  };
  readonly #settings: MpesaSettings;
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  readonly #tokens: TokenSource;
  /** Where Transaction Status results go when MPESA_RESULT_URL is unset: our webhook, as last given. */
  #lastCallbackUrl: string | undefined;

  constructor(context: ProviderContext) {
    this.#settings = readSettings(context.env);
    this.mode = context.mode;
    this.#timeoutMs = context.timeoutMs;
    this.#logger = context.logger;
    this.#tokens = new TokenSource({
      apiBase: this.#settings.apiBase,
      consumerKey: this.#settings.consumerKey,
      consumerSecret: this.#settings.consumerSecret,
      timeoutMs: context.timeoutMs,
    });
  }

  async initiateCollection(request: CollectionRequest, signal?: AbortSignal): Promise<CollectionResult> {
    const amount = toShillings(request.amountMinor, request.currency);
    const msisdn = toMsisdn(request.phone);
    checkReference(request.reference);
    this.#lastCallbackUrl = request.callbackUrl;
    const { shortcode } = this.#settings;
    const timestamp = darajaTimestamp(new Date());
    const body: StkPushRequest = {
      BusinessShortCode: shortcode,
      Password: stkPassword(shortcode, this.#settings.passkey.reveal(), timestamp),
      Timestamp: timestamp,
      TransactionType: this.#settings.transactionType,
      Amount: amount,
      PartyA: msisdn,
      PartyB: shortcode,
      PhoneNumber: msisdn,
      CallBackURL: this.#callbackUrl(request.callbackUrl),
      AccountReference: accountReference(request.reference),
      TransactionDesc: transactionDesc(request.description),
    };
    const response = await this.#post('/mpesa/stkpush/v1/processrequest', body, signal);
    const json = response.json;
    const checkoutRequestId = isRecord(json) ? stringField(json, 'CheckoutRequestID') : undefined;
    if (response.status !== 200) throw apiError(response);
    const responseCode = isRecord(json) ? resultCodeText(json.ResponseCode) : undefined;
    if (responseCode !== '0' || !checkoutRequestId) throw refusedAck(response, responseCode);
    this.#logger.debug({ reference: request.reference, checkoutRequestId }, 'mpesa: STK push sent');
    return { providerId: checkoutRequestId, nextAction: { type: 'stk_push_sent' } };
  }

  async initiatePayout(request: PayoutRequest, signal?: AbortSignal): Promise<PayoutResult> {
    if (request.destination.type !== 'phone') throw invalid('M-Pesa pays out to phones only');
    const amount = toShillings(request.amountMinor, request.currency);
    const msisdn = toMsisdn(request.destination.phone);
    const originatorId = originatorConversationId(request.reference);
    const b2c = this.#b2c();
    this.#lastCallbackUrl = request.callbackUrl;
    const callbackUrl = this.#callbackUrl(request.callbackUrl);
    const body: B2cRequest = {
      OriginatorConversationID: originatorId,
      InitiatorName: b2c.initiatorName,
      SecurityCredential: b2c.securityCredential.reveal(),
      CommandID: 'BusinessPayment',
      Amount: amount,
      PartyA: b2c.shortcode,
      PartyB: msisdn,
      Remarks: remarks(request.description),
      QueueTimeOutURL: callbackUrl,
      ResultURL: callbackUrl,
      Occasion: request.reference,
    };
    const response = await this.#post('/mpesa/b2c/v3/paymentrequest', body, signal);
    // A retry of a payout Daraja already took: the first request's result callback will come.
    if (isDuplicate(response)) return { providerId: originatorId, status: 'pending' };
    if (response.status !== 200) throw apiError(response);
    const json = response.json;
    const responseCode = isRecord(json) ? resultCodeText(json.ResponseCode) : undefined;
    if (responseCode !== '0') throw refusedAck(response, responseCode);
    this.#logger.debug({ reference: request.reference }, 'mpesa: B2C payout accepted');
    return { providerId: originatorId, status: 'pending' };
  }

  async getStatus(query: StatusQuery, signal?: AbortSignal): Promise<ProviderTransaction> {
    return query.kind === 'collection'
      ? this.#collectionStatus(query, signal)
      : this.#payoutStatus(query, signal);
  }

  verifyWebhook(request: WebhookRequest): void {
    verifyToken(request, this.#settings.callbackToken);
  }

  parseWebhook(request: WebhookRequest): WebhookEvent[] {
    return parseCallback(request.rawBody);
  }

  async #collectionStatus(query: StatusQuery, signal?: AbortSignal): Promise<ProviderTransaction> {
    const checkoutRequestId = query.providerId;
    if (!checkoutRequestId) throw invalid('an STK query needs the CheckoutRequestID (providerId)');
    const { shortcode } = this.#settings;
    const timestamp = darajaTimestamp(new Date());
    const body: StkQueryRequest = {
      BusinessShortCode: shortcode,
      Password: stkPassword(shortcode, this.#settings.passkey.reveal(), timestamp),
      Timestamp: timestamp,
      CheckoutRequestID: checkoutRequestId,
    };
    const response = await this.#post('/mpesa/stkpushquery/v1/query', body, signal);
    const base = { reference: query.reference, providerId: checkoutRequestId, currency };
    // While the prompt is open Daraja answers an error body (HTTP 500) saying so.
    if (/being processed/i.test(errorBody(response.json)?.errorMessage ?? ''))
      return { ...base, status: 'pending' };
    if (response.status !== 200) throw apiError(response);
    const json = response.json;
    const code = isRecord(json) ? resultCodeText(json.ResultCode) : undefined;
    if (!isRecord(json) || code === undefined) throw malformedAnswer(response);
    const outcome = stkOutcome(code, stringField(json, 'ResultDesc') ?? '');
    // Daraja's STK query does not say the amount, and we don't invent it: the amount we asked for is
    // ours, not the provider's account of the payment. A push can only be paid in full, and the
    // callback (CallbackMetadata.Amount) does carry it.
    return { ...base, status: outcome.status, ...(outcome.failure ? { failure: outcome.failure } : {}) };
  }

  /**
   * Daraja's Transaction Status query is asynchronous: its answer goes to ResultURL. We ask, and
   * answer with the result when the acknowledgement carries it (our sandbox does), otherwise
   * `pending`: the result then arrives as a webhook, which `parseWebhook` turns into a payout event.
   */
  async #payoutStatus(query: StatusQuery, signal?: AbortSignal): Promise<ProviderTransaction> {
    const b2c = this.#b2c();
    const originatorId = originatorConversationId(query.reference);
    const resultUrl = this.#settings.resultUrl ?? this.#lastCallbackUrl;
    if (!resultUrl) throw invalid('set MPESA_RESULT_URL: a status query needs a URL for its result');
    const callbackUrl = this.#callbackUrl(resultUrl);
    const body: TransactionStatusRequest = {
      Initiator: b2c.initiatorName,
      SecurityCredential: b2c.securityCredential.reveal(),
      CommandID: 'TransactionStatusQuery',
      OriginalConversationID: originatorId,
      PartyA: b2c.shortcode,
      IdentifierType: '4',
      ResultURL: callbackUrl,
      QueueTimeOutURL: callbackUrl,
      Remarks: 'Payout status',
      Occasion: `${statusOccasionPrefix}${query.reference}`,
    };
    const response = await this.#post('/mpesa/transactionstatus/v1/query', body, signal);
    if (response.status !== 200) throw apiError(response);
    const json = response.json;
    const responseCode = isRecord(json) ? resultCodeText(json.ResponseCode) : undefined;
    if (!isRecord(json) || responseCode !== '0') throw refusedAck(response, responseCode);
    const base = { reference: query.reference, providerId: originatorId, currency };
    const result = isRecord(json.Result) ? readAsyncResult(json.Result) : undefined;
    if (!result) return { ...base, status: 'pending' };
    const report = statusReport(result);
    return {
      ...base,
      status: report.status,
      ...(report.failure ? { failure: report.failure } : {}),
      ...(report.amountMinor === undefined ? {} : { amountMinor: report.amountMinor }),
      ...(report.receipt === undefined ? {} : { receipt: report.receipt }),
    };
  }

  /** POSTs with a Bearer token; a token Daraja calls invalid is replaced once. */
  async #post(path: string, body: unknown, signal?: AbortSignal): Promise<ProviderResponse> {
    const send = async () => {
      const token = await this.#tokens.get();
      const response = await providerRequest('mpesa', {
        method: 'POST',
        url: `${this.#settings.apiBase}${path}`,
        headers: { authorization: `Bearer ${token.reveal()}` },
        body,
        timeoutMs: this.#timeoutMs,
        signal,
      });
      return { token, response };
    };
    const first = await send();
    if (first.response.status !== 401) return first.response;
    this.#tokens.invalidate(first.token);
    return (await send()).response;
  }

  #callbackUrl(base: string): string {
    return `${base.replace(/\/+$/, '')}/${this.#settings.callbackToken.reveal()}`;
  }

  #b2c(): NonNullable<MpesaSettings['b2c']> {
    const b2c = this.#settings.b2c;
    if (!b2c) throw invalid('payouts need MPESA_INITIATOR_NAME and MPESA_SECURITY_CREDENTIAL');
    return b2c;
  }
}

function invalid(message: string): ProviderError {
  return new ProviderError('mpesa', 'invalid_request', message);
}

function isDuplicate(response: ProviderResponse): boolean {
  const error = errorBody(response.json);
  return response.status === 409 || (error !== undefined && /duplicate/i.test(error.errorMessage));
}

/**
 * What a Daraja refusal means. Its error codes are coarse (`500.001.1001` covers several cases), so
 * the message decides within a code, as Daraja's own documentation does.
 */
export function apiError(response: ProviderResponse): ProviderError {
  const error = errorBody(response.json);
  const code = error?.errorCode;
  const message = error?.errorMessage ?? '';
  const options = { httpStatus: response.status, ...(code ? { providerCode: code } : {}) };
  if (/wrong credentials|merchant does not exist|invalid access token/i.test(message)) {
    return new ProviderError('mpesa', 'auth', `credentials refused: ${message}`, options);
  }
  if (/securitycredential|initiator/i.test(message)) {
    return new ProviderError('mpesa', 'auth', `initiator credentials refused: ${message}`, options);
  }
  if (/unable to lock subscriber/i.test(message)) {
    return new ProviderError('mpesa', 'declined', 'the payer has another M-Pesa transaction in progress', {
      ...options,
      failure: { code: 'account_locked', ...(code ? { providerCode: code } : {}), message },
    });
  }
  const base = httpError('mpesa', response, code);
  if (!message) return base;
  return new ProviderError(
    'mpesa',
    base.kind,
    `${base.message.replace(/^mpesa: /, '')}: ${message}`,
    options,
  );
}

/** A 200 whose ResponseCode is not "0": Daraja took nothing. */
function refusedAck(response: ProviderResponse, responseCode: string | undefined): ProviderError {
  if (responseCode === undefined) return malformedAnswer(response);
  const json = response.json;
  const description = isRecord(json) ? (stringField(json, 'ResponseDescription') ?? '') : '';
  return new ProviderError('mpesa', 'declined', `request refused (${responseCode}): ${description}`, {
    httpStatus: response.status,
    providerCode: responseCode,
    failure: { code: 'processing_error', providerCode: responseCode, message: description },
  });
}

function malformedAnswer(response: ProviderResponse): ProviderError {
  return new ProviderError('mpesa', 'unavailable', 'malformed answer', { httpStatus: response.status });
}
