import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  amountFromWire,
  amountToWire,
  bankCountryOf,
  chargeFailure,
  chargeStatus,
  refundStatus,
  transferFailure,
  transferRefusal,
  transferStatus,
  webhookEventId,
} from './transformers.ts';

describe('amountFromWire', () => {
  it('reads JSON numbers in major units as exact minor units', () => {
    expect(amountFromWire(1234.57, 'NGN')).toBe(123_457n);
    expect(amountFromWire(0.1, 'NGN')).toBe(10n);
    expect(amountFromWire(100, 'NGN')).toBe(10_000n);
    expect(amountFromWire(2500, 'UGX')).toBe(2500n);
    expect(amountFromWire(0, 'KES')).toBe(0n);
  });

  it('reads numeric strings, trailing zeros included', () => {
    expect(amountFromWire('1234.50', 'NGN')).toBe(123_450n);
    expect(amountFromWire('1234.500', 'NGN')).toBe(123_450n);
    expect(amountFromWire('7', 'RWF')).toBe(7n);
  });

  it('refuses more decimals than the currency has instead of rounding', () => {
    expect(() => amountFromWire(1234.567, 'NGN')).toThrow(RangeError);
    expect(() => amountFromWire(100.5, 'UGX')).toThrow(RangeError);
    // A float artefact is a wrong amount, not 0.30 naira.
    expect(() => amountFromWire(0.1 + 0.2, 'NGN')).toThrow(RangeError);
  });

  it('refuses negatives, exponents, non-numbers and unknown currencies', () => {
    expect(() => amountFromWire(-5, 'NGN')).toThrow(RangeError);
    expect(() => amountFromWire(1e21, 'NGN')).toThrow(RangeError);
    expect(() => amountFromWire('1e3', 'NGN')).toThrow(RangeError);
    expect(() => amountFromWire(Number.NaN, 'NGN')).toThrow(RangeError);
    expect(() => amountFromWire(null, 'NGN')).toThrow(RangeError);
    expect(() => amountFromWire('12,50', 'NGN')).toThrow(RangeError);
    expect(() => amountFromWire(10, 'XYZ')).toThrow(RangeError);
  });
});

describe('amountToWire', () => {
  it('gives the JSON number Flutterwave expects', () => {
    expect(amountToWire(123_457n, 'NGN')).toBe(1234.57);
    expect(JSON.stringify({ amount: amountToWire(123_457n, 'NGN') })).toBe('{"amount":1234.57}');
    expect(amountToWire(1n, 'NGN')).toBe(0.01);
    expect(amountToWire(150_000n, 'KES')).toBe(1500);
    expect(amountToWire(2500n, 'UGX')).toBe(2500);
  });

  it('refuses amounts a double cannot carry exactly, and non-positive ones', () => {
    expect(() => amountToWire(12_345_678_901_234_567_891n, 'NGN')).toThrow(RangeError);
    expect(() => amountToWire(0n, 'NGN')).toThrow(RangeError);
    expect(() => amountToWire(-100n, 'NGN')).toThrow(RangeError);
  });

  it('round-trips every amount up to a trillion naira', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 100_000_000_000_000n }), (minor) => {
        expect(amountFromWire(amountToWire(minor, 'NGN'), 'NGN')).toBe(minor);
        // And through JSON text, as the bytes really travel.
        expect(amountFromWire(JSON.parse(JSON.stringify(amountToWire(minor, 'NGN'))), 'NGN')).toBe(minor);
      }),
    );
  });
});

describe('statuses', () => {
  it('maps charge statuses, unknown ones staying pending', () => {
    expect(chargeStatus('successful')).toBe('succeeded');
    expect(chargeStatus('failed')).toBe('failed');
    expect(chargeStatus('cancelled')).toBe('failed');
    expect(chargeStatus('pending')).toBe('pending');
    expect(chargeStatus('something-new')).toBe('pending');
  });

  it('maps transfer statuses', () => {
    expect(transferStatus('NEW')).toBe('pending');
    expect(transferStatus('PENDING')).toBe('pending');
    expect(transferStatus('SUCCESSFUL')).toBe('succeeded');
    expect(transferStatus('FAILED')).toBe('failed');
  });

  it('maps refund statuses', () => {
    expect(refundStatus('completed')).toBe('succeeded');
    expect(refundStatus('pending')).toBe('pending');
    expect(refundStatus('failed')).toBe('failed');
  });
});

describe('chargeFailure', () => {
  const cases: readonly [string, string][] = [
    ['Insufficient Funds', 'insufficient_funds'],
    ['Do Not Honour', 'declined'],
    ['Do not honor', 'declined'],
    ['Fraudulent', 'declined'],
    ['Invalid Transaction', 'declined'],
    ['Function Not Permitted to Cardholder', 'declined'],
    ['Function Not Permitted to Terminal', 'declined'],
    ['Restricted Card, Retain Card', 'account_locked'],
    ['Allowable PIN tries exceeded', 'account_locked'],
    ['Transaction Error', 'processing_error'],
    ['Incorrect PIN', 'wrong_pin'],
    ['Wrong OTP', 'wrong_pin'],
    ['Expired card', 'declined'],
    ['Transaction timed out', 'expired'],
    ['Mocked a Failed Transaction', 'declined'],
    ['Declined', 'declined'],
  ];
  for (const [response, code] of cases) {
    it(`maps "${response}" to ${code}`, () => {
      const failure = chargeFailure(response, 'failed');
      expect(failure.code).toBe(code);
      expect(failure.providerCode).toBe(response);
    });
  }

  it('treats a cancelled charge as cancelled by the payer, and an unexplained one as declined', () => {
    expect(chargeFailure(undefined, 'cancelled').code).toBe('cancelled_by_payer');
    expect(chargeFailure(undefined, 'failed')).toEqual({
      code: 'declined',
      message: 'The payment was declined.',
    });
  });

  it('keeps at most 120 characters of the provider text', () => {
    expect(chargeFailure('x'.repeat(500), 'failed').providerCode).toHaveLength(120);
  });
});

describe('transfer failures', () => {
  it('maps complete_message texts', () => {
    expect(transferFailure('DISBURSE FAILED: Insufficient funds in customer wallet').code).toBe(
      'insufficient_funds',
    );
    expect(transferFailure('DISBURSE FAILED: Account resolve failed').code).toBe('invalid_destination');
    expect(transferFailure('beneficiary_name is required').code).toBe('invalid_destination');
    expect(transferFailure('DISBURSE FAILED: You can only spend UGX 100.00 at once').code).toBe('declined');
    expect(transferFailure('DISBURSE FAILED: Transaction failed').code).toBe('processing_error');
    expect(transferFailure(undefined).code).toBe('processing_error');
  });

  it('recognises a refusal that is final, and leaves other 400s alone', () => {
    expect(transferRefusal('Payout was made to a blacklisted account number')?.code).toBe(
      'invalid_destination',
    );
    expect(transferRefusal('Payout with this ref already exists')).toBeUndefined();
    expect(transferRefusal('amount must be a positive number')).toBeUndefined();
  });
});

describe('misc', () => {
  it('derives the same event id for the same delivery and a new one for a new status', () => {
    expect(webhookEventId('charge.completed', 42, 'successful')).toBe('charge.completed:42:successful');
    expect(webhookEventId('transfer.completed', 7, 'FAILED')).toBe(
      webhookEventId('transfer.completed', '7', 'failed'),
    );
    expect(webhookEventId('transfer.completed', 7, 'NEW')).not.toBe(
      webhookEventId('transfer.completed', 7, 'FAILED'),
    );
  });

  it('knows which currency pays out in which country', () => {
    expect(bankCountryOf('NGN')).toBe('NG');
    expect(bankCountryOf('KES')).toBe('KE');
    expect(bankCountryOf('USD')).toBeUndefined();
  });
});
