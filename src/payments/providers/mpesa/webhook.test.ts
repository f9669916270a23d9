import { describe, expect, it } from 'vitest';
import { Secret } from '../../../shared/secret.ts';
import { WebhookVerificationError } from '../provider.ts';
import { parseCallback, verifyToken } from './webhook.ts';

const token = 'k'.repeat(43);
const raw = (text: string) => Buffer.from(text, 'utf8');

// Bodies as Daraja writes them: integer ResultCode, Amount 1.00, an item without Value.
const stkSuccess = `{"Body":{"stkCallback":{"MerchantRequestID":"29115-34620561-1","CheckoutRequestID":"ws_CO_191220191020363925","ResultCode":0,"ResultDesc":"The service request is processed successfully.","CallbackMetadata":{"Item":[{"Name":"Amount","Value":1.00},{"Name":"MpesaReceiptNumber","Value":"NLJ7RT61SV"},{"Name":"Balance"},{"Name":"TransactionDate","Value":20191219102115},{"Name":"PhoneNumber","Value":254708374149}]}}}}`;
const stkCancelled = `{"Body":{"stkCallback":{"MerchantRequestID":"8555-67195-1","CheckoutRequestID":"ws_CO_27072017151044001","ResultCode":1032,"ResultDesc":"[STK_CB - ]Request cancelled by user"}}}`;
const b2cSuccess = JSON.stringify({
  Result: {
    ResultType: 0,
    ResultCode: 0,
    ResultDesc: 'The service request is processed successfully.',
    OriginatorConversationID: 'wd_abc123',
    ConversationID: 'AG_20191219_00005797af5d7d75f652',
    TransactionID: 'NLJ41HAY6Q',
    ResultParameters: {
      ResultParameter: [
        { Key: 'TransactionAmount', Value: 10 },
        { Key: 'TransactionReceipt', Value: 'NLJ41HAY6Q' },
        { Key: 'ReceiverPartyPublicName', Value: '254708374149 - John Doe' },
      ],
    },
    ReferenceData: {
      ReferenceItem: { Key: 'QueueTimeoutURL', Value: 'https://internalsandbox.safaricom.co.ke/x' },
    },
  },
});

describe('mpesa callbacks', () => {
  it('accepts only our URL token, compared whatever its length', () => {
    const secret = new Secret(token);
    expect(() => verifyToken({ headers: {}, rawBody: raw('{}'), token }, secret)).not.toThrow();
    for (const [given, reason] of [
      [undefined, 'signature_missing'],
      ['', 'signature_missing'],
      [`${token.slice(0, -1)}x`, 'signature_invalid'],
      ['short', 'signature_invalid'],
      [`${token}k`, 'signature_invalid'],
    ] as const) {
      const error = (() => {
        try {
          verifyToken(
            { headers: {}, rawBody: raw('{}'), ...(given === undefined ? {} : { token: given }) },
            secret,
          );
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(WebhookVerificationError);
      expect((error as WebhookVerificationError).reason).toBe(reason);
      expect((error as Error).message).not.toContain(token);
    }
  });

  it('reads an STK success with its metadata and a cancellation without', () => {
    const [success] = parseCallback(raw(stkSuccess));
    expect(success).toEqual({
      eventId: 'stk:ws_CO_191220191020363925:0',
      kind: 'collection',
      providerId: 'ws_CO_191220191020363925',
      status: 'succeeded',
      amountMinor: 100n,
      currency: 'KES',
      receipt: 'NLJ7RT61SV',
      requiresConfirmation: true,
    });
    const [cancelled] = parseCallback(raw(stkCancelled));
    expect(cancelled?.status).toBe('failed');
    expect(cancelled?.failure?.code).toBe('cancelled_by_payer');
    expect(cancelled?.eventId).toBe('stk:ws_CO_27072017151044001:1032');
    expect(cancelled?.amountMinor).toBeUndefined();
  });

  it('gives the same delivery the same event id, and a different outcome a different one', () => {
    expect(parseCallback(raw(stkSuccess))[0]?.eventId).toBe(parseCallback(raw(stkSuccess))[0]?.eventId);
    expect(parseCallback(raw(stkSuccess))[0]?.eventId).not.toBe(parseCallback(raw(stkCancelled))[0]?.eventId);
  });

  it('reads a B2C result, with our reference from the OriginatorConversationID', () => {
    const [event] = parseCallback(raw(b2cSuccess));
    expect(event).toMatchObject({
      eventId: 'b2c:AG_20191219_00005797af5d7d75f652:0',
      kind: 'payout',
      reference: 'wd_abc123',
      providerId: 'wd_abc123',
      status: 'succeeded',
      amountMinor: 1_000n,
      receipt: 'NLJ41HAY6Q',
      requiresConfirmation: true,
    });
  });

  it('reads a queue timeout and a string ResultCode as failures', () => {
    const timeout = JSON.parse(b2cSuccess);
    timeout.Result.ResultCode = 1019;
    delete timeout.Result.ResultParameters;
    expect(parseCallback(raw(JSON.stringify(timeout)))[0]?.failure?.code).toBe('expired');
    timeout.Result.ResultCode = 'SFC_IC0003';
    expect(parseCallback(raw(JSON.stringify(timeout)))[0]?.failure).toMatchObject({
      code: 'invalid_destination',
      providerCode: 'SFC_IC0003',
    });
  });

  it('reads a Transaction Status result as news about the payout named in its Occasion', () => {
    const status = (transactionStatus: string, resultCode = 0) =>
      raw(
        JSON.stringify({
          Result: {
            ResultType: 0,
            ResultCode: resultCode,
            ResultDesc: 'ok',
            OriginatorConversationID: '10816-694520-2',
            ConversationID: 'AG_20170727_000059c52529a8e080bd',
            ResultParameters: {
              ResultParameter: [
                { Key: 'ReceiptNo', Value: 'LGR919G2AV' },
                { Key: 'Amount', Value: 10 },
                { Key: 'TransactionStatus', Value: transactionStatus },
              ],
            },
            ReferenceData: { ReferenceItem: [{ Key: 'Occasion', Value: 'status:wd_abc123' }] },
          },
        }),
      );
    expect(parseCallback(status('Completed'))).toEqual([
      {
        eventId: 'b2c-status:wd_abc123:succeeded',
        kind: 'payout',
        reference: 'wd_abc123',
        providerId: 'wd_abc123',
        status: 'succeeded',
        amountMinor: 1_000n,
        currency: 'KES',
        receipt: 'LGR919G2AV',
        requiresConfirmation: true,
      },
    ]);
    // A failed query or a payout still in flight is no news about the payout.
    expect(parseCallback(status('Completed', 2001))).toEqual([]);
    expect(parseCallback(status('Pending'))).toEqual([]);
  });

  it('refuses bodies that are not Daraja callbacks', () => {
    for (const body of [
      'not json',
      '[]',
      '{}',
      '{"Body":{"stkCallback":{"ResultCode":0}}}',
      '{"Result":{}}',
    ]) {
      expect(() => parseCallback(raw(body))).toThrow(WebhookVerificationError);
    }
  });
});
