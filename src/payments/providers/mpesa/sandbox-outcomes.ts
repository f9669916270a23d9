/**
 * What the sandbox's simulated handsets and M-Pesa core decide, by test MSISDN, and the callback
 * bodies they produce, shaped as Daraja sends them (integers in the STK callback, `Key`/`Value`
 * lists in results, Items without a Value).
 *
 * STK push (PhoneNumber / PartyA):
 * | MSISDN        | ResultCode | Our outcome                    |
 * | 254708374149  | 0          | succeeded (Daraja's test MSISDN; any other number too) |
 * | 254700000001  | 1          | failed insufficient_funds      |
 * | 254700001032  | 1032       | failed cancelled_by_payer      |
 * | 254700001037  | 1037       | failed payer_unreachable       |
 * | 254700002001  | 2001       | failed wrong_pin               |
 * | 254700001019  | 1019       | failed expired                 |
 * | 254700001001  | 1001       | failed account_locked          |
 * | 254700000000  | (none)     | never answers: stays pending, no callback |
 *
 * B2C (PartyB):
 * | 254708374149  | 0          | succeeded (any other number too) |
 * | 254700000001  | 1          | failed insufficient_funds (our float) |
 * | 254700002040  | 2040       | failed invalid_destination (unregistered) |
 * | 254700001019  | 1019       | queue timeout: a Result to QueueTimeOutURL, failed expired |
 * A SecurityCredential that decrypts to the wrong password (or an unknown InitiatorName) yields
 * ResultCode 2001 "The initiator information is invalid.".
 */
import { randomBytes, randomInt } from 'node:crypto';
import { darajaTimestamp } from './transformers.ts';
import type { AsyncResult, ResultParameter, StkCallback } from './wire.ts';

export const testMsisdn = '254708374149';
export const silentMsisdn = '254700000000';

export interface ResultOutcome {
  readonly code: number;
  readonly description: string;
}

const success: ResultOutcome = { code: 0, description: 'The service request is processed successfully.' };

export const stkOutcomes: Readonly<Record<string, ResultOutcome>> = {
  [testMsisdn]: success,
  '254700000001': { code: 1, description: 'The balance is insufficient for the transaction.' },
  '254700001032': { code: 1032, description: 'Request cancelled by user' },
  '254700001037': { code: 1037, description: 'DS timeout user cannot be reached' },
  '254700002001': { code: 2001, description: 'The initiator information is invalid.' },
  '254700001019': { code: 1019, description: 'Transaction has expired' },
  '254700001001': {
    code: 1001,
    description: 'Unable to lock subscriber, a transaction is already in process for the current subscriber',
  },
};

/** The handset's answer, or undefined for the one that never answers. */
export function stkOutcomeFor(msisdn: string): ResultOutcome | undefined {
  if (msisdn === silentMsisdn) return undefined;
  return stkOutcomes[msisdn] ?? success;
}

export const queueTimeoutMsisdn = '254700001019';
export const queueTimeout: ResultOutcome = {
  code: 1019,
  description: 'The request timed out in the queue and was not processed.',
};
export const initiatorInvalid: ResultOutcome = {
  code: 2001,
  description: 'The initiator information is invalid.',
};

export const b2cOutcomes: Readonly<Record<string, ResultOutcome>> = {
  [testMsisdn]: { code: 0, description: 'The service request is processed successfully.' },
  '254700000001': { code: 1, description: 'The balance is insufficient for the transaction.' },
  '254700002040': {
    code: 2040,
    description:
      "Credit Party customer type (Unregistered or Registered Customer) can't be supported by the service.",
  },
  [queueTimeoutMsisdn]: queueTimeout,
};

export function b2cOutcomeFor(msisdn: string): ResultOutcome {
  return b2cOutcomes[msisdn] ?? success;
}

/** Identifiers in Daraja's formats. */
export const ids = {
  merchantRequest: () => `${randomInt(10_000, 99_999)}-${randomInt(10_000_000, 99_999_999)}-1`,
  checkoutRequest: () => `ws_CO_${darajaTimestamp(new Date())}${randomInt(100_000, 999_999)}`,
  conversation: () => `AG_${darajaTimestamp(new Date()).slice(0, 8)}_${randomBytes(10).toString('hex')}`,
  receipt: () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    return Array.from({ length: 10 }, () => alphabet[randomInt(alphabet.length)]).join('');
  },
};

export interface StkRecord {
  readonly merchantRequestId: string;
  readonly checkoutRequestId: string;
  readonly amount: number;
  readonly msisdn: string;
  readonly callbackUrl: string;
  outcome: ResultOutcome | undefined;
  receipt: string | undefined;
}

export function stkCallbackBody(record: StkRecord, outcome: ResultOutcome, now: Date): StkCallback {
  const base = {
    MerchantRequestID: record.merchantRequestId,
    CheckoutRequestID: record.checkoutRequestId,
    ResultCode: outcome.code,
    ResultDesc: outcome.description,
  };
  if (outcome.code !== 0) return { Body: { stkCallback: base } };
  return {
    Body: {
      stkCallback: {
        ...base,
        CallbackMetadata: {
          Item: [
            { Name: 'Amount', Value: record.amount },
            { Name: 'MpesaReceiptNumber', Value: record.receipt ?? '' },
            { Name: 'Balance' },
            { Name: 'TransactionDate', Value: Number(darajaTimestamp(now)) },
            { Name: 'PhoneNumber', Value: Number(record.msisdn) },
          ],
        },
      },
    },
  };
}

export interface B2cRecord {
  readonly originatorConversationId: string;
  readonly conversationId: string;
  readonly amount: number;
  readonly partyA: string;
  readonly partyB: string;
  readonly resultUrl: string;
  readonly queueTimeoutUrl: string;
  readonly initiatorValid: boolean;
  outcome: ResultOutcome | undefined;
  receipt: string | undefined;
}

/** dd.MM.yyyy HH:mm:ss in EAT, as B2C results write TransactionCompletedDateTime. */
function completedDateTime(now: Date): string {
  const t = darajaTimestamp(now);
  return `${t.slice(6, 8)}.${t.slice(4, 6)}.${t.slice(0, 4)} ${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12, 14)}`;
}

export function b2cResultBody(record: B2cRecord, outcome: ResultOutcome, now: Date): AsyncResult {
  const parameters: ResultParameter[] =
    outcome.code === 0
      ? [
          { Key: 'TransactionAmount', Value: record.amount },
          { Key: 'TransactionReceipt', Value: record.receipt ?? '' },
          { Key: 'B2CRecipientIsRegisteredCustomer', Value: 'Y' },
          { Key: 'B2CChargesPaidAccountAvailableFunds', Value: -4510.0 },
          { Key: 'ReceiverPartyPublicName', Value: `${record.partyB} - Test Customer` },
          { Key: 'TransactionCompletedDateTime', Value: completedDateTime(now) },
          { Key: 'B2CUtilityAccountAvailableFunds', Value: 10116.0 },
          { Key: 'B2CWorkingAccountAvailableFunds', Value: 900000.0 },
        ]
      : [];
  return {
    Result: {
      ResultType: 0,
      ResultCode: outcome.code,
      ResultDesc: outcome.description,
      OriginatorConversationID: record.originatorConversationId,
      ConversationID: record.conversationId,
      TransactionID: record.receipt ?? ids.receipt(),
      ...(parameters.length > 0 ? { ResultParameters: { ResultParameter: parameters } } : {}),
      ReferenceData: {
        ReferenceItem: {
          Key: 'QueueTimeoutURL',
          Value: 'https://internalsandbox.safaricom.co.ke/mpesa/b2cresults/v1/submit',
        },
      },
    },
  };
}

function transactionStatusOf(record: B2cRecord): string {
  if (!record.outcome) return 'Pending';
  if (record.outcome === queueTimeout) return 'Expired';
  return record.outcome.code === 0 ? 'Completed' : 'Failed';
}

/** The Transaction Status result about `record` (undefined: no such transaction). */
export function transactionStatusResultBody(
  record: B2cRecord | undefined,
  query: { originatorConversationId: string; conversationId: string; occasion: string },
  now: Date,
): AsyncResult {
  const envelope = {
    ResultType: 0,
    OriginatorConversationID: query.originatorConversationId,
    ConversationID: query.conversationId,
    ReferenceData: { ReferenceItem: { Key: 'Occasion', Value: query.occasion } },
  };
  if (!record) {
    return { Result: { ...envelope, ResultCode: 'R000001', ResultDesc: 'The transaction does not exist.' } };
  }
  const parameters: ResultParameter[] = [
    { Key: 'DebitPartyName', Value: `${record.partyA} - ChatPay Sandbox` },
    { Key: 'CreditPartyName', Value: `${record.partyB} - Test Customer` },
    { Key: 'OriginatorConversationID', Value: record.originatorConversationId },
    { Key: 'Originator Conversation ID', Value: record.originatorConversationId },
    { Key: 'InitiatedTime', Value: Number(darajaTimestamp(now)) },
    { Key: 'DebitAccountType', Value: 'Utility Account' },
    { Key: 'ReasonType', Value: record.outcome?.description ?? 'Business Payment to Customer via API' },
    { Key: 'TransactionStatus', Value: transactionStatusOf(record) },
    { Key: 'FinalisedTime', Value: Number(darajaTimestamp(now)) },
    { Key: 'Amount', Value: record.amount },
    { Key: 'Conversation ID', Value: record.conversationId },
    { Key: 'ReceiptNo', Value: record.receipt ?? '' },
  ];
  return {
    Result: {
      ...envelope,
      ResultCode: 0,
      ResultDesc: 'The service request is processed successfully.',
      TransactionID: record.receipt ?? ids.receipt(),
      ResultParameters: { ResultParameter: parameters },
    },
  };
}
