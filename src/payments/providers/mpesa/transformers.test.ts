import { describe, expect, it } from 'vitest';
import { ProviderError } from '../provider.ts';
import {
  accountReference,
  b2cOutcome,
  darajaTimestamp,
  errorBody,
  itemValue,
  listOf,
  parseDarajaTimestamp,
  resultCodeText,
  shillingsToMinor,
  stkOutcome,
  stkPassword,
  toMsisdn,
  toShillings,
  transactionDesc,
  transactionStatusOutcome,
} from './transformers.ts';

const kindOf = (run: () => unknown) => {
  try {
    run();
    return 'no error';
  } catch (error) {
    return error instanceof ProviderError ? error.kind : String(error);
  }
};

describe('mpesa transformers', () => {
  it('converts minor units to whole shillings and refuses cents, other currencies and non-positive amounts', () => {
    expect(toShillings(12_300n, 'KES')).toBe(123);
    expect(toShillings(100n, 'KES')).toBe(1);
    expect(kindOf(() => toShillings(12_350n, 'KES'))).toBe('invalid_request');
    expect(kindOf(() => toShillings(12_300n, 'USD'))).toBe('invalid_request');
    expect(kindOf(() => toShillings(0n, 'KES'))).toBe('invalid_request');
    expect(kindOf(() => toShillings(-100n, 'KES'))).toBe('invalid_request');
  });

  it('reads shillings back as numbers or strings, with or without decimals', () => {
    expect(shillingsToMinor(123)).toBe(12_300n);
    expect(shillingsToMinor('1.00')).toBe(100n);
    expect(shillingsToMinor(1.5)).toBe(150n);
    expect(shillingsToMinor('10')).toBe(1_000n);
    expect(shillingsToMinor('-1')).toBeUndefined();
    expect(shillingsToMinor('1e3')).toBeUndefined();
    expect(shillingsToMinor(undefined)).toBeUndefined();
  });

  it('turns E.164 Kenyan mobile numbers into MSISDNs and refuses others', () => {
    expect(toMsisdn('+254708374149')).toBe('254708374149');
    expect(toMsisdn('+254 110 123456')).toBe('254110123456');
    expect(kindOf(() => toMsisdn('+255708374149'))).toBe('invalid_request');
    expect(kindOf(() => toMsisdn('+25470837414'))).toBe('invalid_request');
    expect(kindOf(() => toMsisdn(undefined))).toBe('invalid_request');
  });

  it('writes timestamps in East Africa Time and reads them back', () => {
    const instant = new Date('2024-01-31T22:30:05Z');
    expect(darajaTimestamp(instant)).toBe('20240201013005');
    expect(parseDarajaTimestamp('20240201013005')?.toISOString()).toBe('2024-01-31T22:30:05.000Z');
    expect(parseDarajaTimestamp('20240231120000')).toBeUndefined();
    expect(parseDarajaTimestamp('2024020101300')).toBeUndefined();
  });

  it("builds the STK password as Daraja's documentation example does", () => {
    const passkey = 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919';
    expect(stkPassword('174379', passkey, '20160216165627')).toBe(
      'MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZTZiNzJhZGExZWQyYzkxOTIwMTYwMjE2MTY1NjI3',
    );
  });

  it('derives an AccountReference of at most 12 characters and a short TransactionDesc', () => {
    expect(accountReference('dep_conf0123456789abcdef')).toBe('456789abcdef');
    expect(accountReference('dep_1')).toBe('dep1');
    expect(accountReference('___')).toBe('ChatPay');
    expect(transactionDesc('Deposit to your ChatPay wallet')).toHaveLength(13);
    expect(transactionDesc('  ')).toBe('Payment');
  });

  it('maps every documented STK result code', () => {
    const codes: Record<string, string> = {
      '1': 'insufficient_funds',
      '1032': 'cancelled_by_payer',
      '1037': 'payer_unreachable',
      '1019': 'expired',
      '2001': 'wrong_pin',
      '1001': 'account_locked',
      '1025': 'processing_error',
      '9999': 'processing_error',
      '17': 'processing_error',
      '26': 'processing_error',
      '4242': 'declined',
    };
    expect(stkOutcome('0', 'ok')).toEqual({ status: 'succeeded' });
    for (const [code, failure] of Object.entries(codes)) {
      const outcome = stkOutcome(code, 'text');
      expect(outcome.status).toBe('failed');
      expect(outcome.failure).toEqual({ code: failure, providerCode: code, message: 'text' });
    }
  });

  it('maps B2C result codes, keeping a duplicate (15) pending', () => {
    expect(b2cOutcome('0', '').status).toBe('succeeded');
    expect(b2cOutcome('15', 'Duplicate Detected')).toEqual({ status: 'pending' });
    expect(b2cOutcome('2040', '').failure?.code).toBe('invalid_destination');
    expect(b2cOutcome('SFC_IC0003', '').failure?.code).toBe('invalid_destination');
    expect(b2cOutcome('1', '').failure?.code).toBe('insufficient_funds');
    expect(b2cOutcome('1019', '').failure?.code).toBe('expired');
    expect(b2cOutcome('2001', '').failure?.code).toBe('processing_error');
    expect(b2cOutcome('777', '').failure?.code).toBe('declined');
  });

  it('maps Transaction Status values', () => {
    expect(transactionStatusOutcome('Completed').status).toBe('succeeded');
    expect(transactionStatusOutcome('Expired').failure?.code).toBe('expired');
    expect(transactionStatusOutcome('Failed').failure?.code).toBe('declined');
    expect(transactionStatusOutcome('Pending').status).toBe('pending');
    expect(transactionStatusOutcome('').status).toBe('pending');
  });

  it('reads result codes, error bodies and Key/Value lists in the forms Daraja sends', () => {
    expect(resultCodeText(0)).toBe('0');
    expect(resultCodeText('1032')).toBe('1032');
    expect(resultCodeText(1.5)).toBeUndefined();
    expect(resultCodeText({})).toBeUndefined();
    expect(
      errorBody({ requestId: 'r', errorCode: '404.001.03', errorMessage: 'Invalid Access Token' }),
    ).toEqual({
      requestId: 'r',
      errorCode: '404.001.03',
      errorMessage: 'Invalid Access Token',
    });
    expect(errorBody({ ResponseCode: '0' })).toBeUndefined();
    const single = listOf({ Key: 'QueueTimeoutURL', Value: 'https://x' });
    expect(itemValue(single, 'QueueTimeoutURL')).toBe('https://x');
    expect(itemValue(listOf([{ Name: 'Balance' }, { Name: 'Amount', Value: 5 }]), 'Balance')).toBeUndefined();
    expect(itemValue(listOf([{ Name: 'Balance' }, { Name: 'Amount', Value: 5 }]), 'Amount')).toBe(5);
  });
});
