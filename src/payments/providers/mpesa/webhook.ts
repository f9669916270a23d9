/**
 * Daraja callbacks: the STK result, the B2C result (or its queue timeout), and the Transaction
 * Status result. None is signed, so authenticity rests on the secret token in the callback URL
 * (compared in constant time) and every event asks the engine to confirm it with a query first.
 */
import { sameSecret } from '../../../shared/hash.ts';
import type { Secret } from '../../../shared/secret.ts';
import {
  type Failure,
  type ProviderStatus,
  type WebhookEvent,
  type WebhookRequest,
  WebhookVerificationError,
} from '../provider.ts';
import {
  b2cOutcome,
  currency,
  isRecord,
  itemValue,
  listOf,
  referenceFromOriginator,
  resultCodeText,
  shillingsToMinor,
  statusOccasionPrefix,
  stkOutcome,
  stringField,
  transactionStatusOutcome,
} from './transformers.ts';

const bodyBytesMax = 64 * 1024;

/** Throws unless the request's path token is ours (compared in constant time). */
export function verifyToken(request: WebhookRequest, expected: Secret): void {
  if (!request.token)
    throw new WebhookVerificationError('signature_missing', 'the callback URL has no token');
  if (!sameSecret(request.token, expected.reveal())) {
    throw new WebhookVerificationError('signature_invalid', 'the callback URL token is not ours');
  }
}

function malformed(message: string): WebhookVerificationError {
  return new WebhookVerificationError('malformed', `malformed M-Pesa callback: ${message}`);
}

export function parseCallback(rawBody: Buffer): WebhookEvent[] {
  if (rawBody.length > bodyBytesMax) throw malformed('body too large');
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw malformed('not JSON');
  }
  if (!isRecord(json)) throw malformed('not an object');
  if (isRecord(json.Body) && isRecord(json.Body.stkCallback)) return [stkEvent(json.Body.stkCallback)];
  if (isRecord(json.Result)) {
    const result = readAsyncResult(json.Result);
    if (!result) throw malformed('Result lacks its identifiers');
    return result.statusOf === undefined ? [payoutEvent(result)] : statusEvents(result);
  }
  throw malformed('neither an STK callback nor a Result');
}

function stkEvent(callback: Record<string, unknown>): WebhookEvent {
  const checkoutRequestId = stringField(callback, 'CheckoutRequestID');
  const code = resultCodeText(callback.ResultCode);
  if (!checkoutRequestId || code === undefined)
    throw malformed('stkCallback lacks CheckoutRequestID or ResultCode');
  const outcome = stkOutcome(code, stringField(callback, 'ResultDesc') ?? '');
  const metadata = isRecord(callback.CallbackMetadata) ? listOf(callback.CallbackMetadata.Item) : [];
  const amountMinor = shillingsToMinor(itemValue(metadata, 'Amount'));
  const receipt = itemValue(metadata, 'MpesaReceiptNumber');
  return {
    eventId: `stk:${checkoutRequestId}:${code}`,
    kind: 'collection',
    providerId: checkoutRequestId,
    ...withOutcome(outcome),
    ...(amountMinor === undefined ? {} : { amountMinor, currency }),
    ...(receipt === undefined ? {} : { receipt: String(receipt) }),
    requiresConfirmation: true,
  };
}

/** The parts of a `Result` envelope we use. */
export interface AsyncResultView {
  readonly code: string;
  readonly description: string;
  readonly originatorConversationId: string;
  readonly conversationId: string;
  readonly transactionId: string | undefined;
  readonly parameters: Record<string, unknown>[];
  /** The payout reference a Transaction Status result is about; undefined for a B2C result. */
  readonly statusOf: string | undefined;
}

export function readAsyncResult(result: Record<string, unknown>): AsyncResultView | undefined {
  const code = resultCodeText(result.ResultCode);
  const originatorConversationId = stringField(result, 'OriginatorConversationID');
  const conversationId = stringField(result, 'ConversationID');
  if (code === undefined || !originatorConversationId || !conversationId) return undefined;
  const parameters = isRecord(result.ResultParameters) ? listOf(result.ResultParameters.ResultParameter) : [];
  const references = isRecord(result.ReferenceData) ? listOf(result.ReferenceData.ReferenceItem) : [];
  const occasion = itemValue(references, 'Occasion');
  const isStatus =
    (typeof occasion === 'string' && occasion.startsWith(statusOccasionPrefix)) ||
    itemValue(parameters, 'TransactionStatus') !== undefined;
  const statusOf =
    typeof occasion === 'string' && occasion.startsWith(statusOccasionPrefix)
      ? occasion.slice(statusOccasionPrefix.length)
      : String(itemValue(parameters, 'Originator Conversation ID') ?? '');
  return {
    code,
    description: stringField(result, 'ResultDesc') ?? '',
    originatorConversationId,
    conversationId,
    transactionId: stringField(result, 'TransactionID'),
    parameters,
    statusOf: isStatus ? statusOf : undefined,
  };
}

function payoutEvent(result: AsyncResultView): WebhookEvent {
  const amountMinor = shillingsToMinor(itemValue(result.parameters, 'TransactionAmount'));
  const receipt = itemValue(result.parameters, 'TransactionReceipt') ?? result.transactionId;
  return {
    eventId: `b2c:${result.conversationId}:${result.code}`,
    kind: 'payout',
    reference: referenceFromOriginator(result.originatorConversationId),
    providerId: result.originatorConversationId,
    ...withOutcome(b2cOutcome(result.code, result.description)),
    ...(amountMinor === undefined ? {} : { amountMinor, currency }),
    ...(receipt === undefined || receipt === '' ? {} : { receipt: String(receipt) }),
    requiresConfirmation: true,
  };
}

/** What a Transaction Status result says about the payout it was asked about. */
export interface StatusReport {
  readonly reference: string | undefined;
  readonly status: ProviderStatus;
  readonly failure?: Failure;
  readonly amountMinor?: bigint;
  readonly receipt?: string;
}

/**
 * A Transaction Status result. A non-zero ResultCode means the *query* failed (unknown transaction,
 * bad initiator): that says nothing about the payout, so it is reported as pending.
 */
export function statusReport(result: AsyncResultView): StatusReport {
  const reference = result.statusOf ? referenceFromOriginator(result.statusOf) : undefined;
  if (result.code !== '0') return { reference, status: 'pending' };
  const transactionStatus = itemValue(result.parameters, 'TransactionStatus');
  const outcome = transactionStatusOutcome(String(transactionStatus ?? ''));
  const amountMinor = shillingsToMinor(itemValue(result.parameters, 'Amount'));
  const receipt = itemValue(result.parameters, 'ReceiptNo');
  return {
    reference,
    ...withOutcome(outcome),
    ...(amountMinor === undefined ? {} : { amountMinor }),
    ...(receipt === undefined || receipt === '' ? {} : { receipt: String(receipt) }),
  };
}

function statusEvents(result: AsyncResultView): WebhookEvent[] {
  const report = statusReport(result);
  // A failed query or a payout still in flight carries no news: store the delivery, emit nothing.
  if (report.status === 'pending' || !report.reference) return [];
  return [
    {
      eventId: `b2c-status:${report.reference}:${report.status}`,
      kind: 'payout',
      reference: report.reference,
      providerId: report.reference,
      status: report.status,
      ...(report.failure ? { failure: report.failure } : {}),
      ...(report.amountMinor === undefined ? {} : { amountMinor: report.amountMinor, currency }),
      ...(report.receipt === undefined ? {} : { receipt: report.receipt }),
      requiresConfirmation: true,
    },
  ];
}

function withOutcome(outcome: { status: ProviderStatus; failure?: Failure }): {
  status: ProviderStatus;
  failure?: Failure;
} {
  return outcome.failure ? { status: outcome.status, failure: outcome.failure } : { status: outcome.status };
}
