/**
 * Flutterwave's documented test inputs for the shared conformance suite: test cards on the hosted
 * checkout, Access Bank test accounts for transfers (see sandbox.ts for the full table).
 */
import type { ConformanceDriver } from '../conformance/driver.ts';
import { flutterwave } from './definition.ts';

const payer = { email: 'ada@example.com', name: 'Ada Obi' };

export const flutterwaveConformanceDriver: ConformanceDriver = {
  definition: flutterwave,
  currency: 'NGN',
  // ₦1,234.57: kobo that a naira/kobo mix-up or a float rounding would change.
  amountMinor: 123_457n,
  collections: [
    { name: 'PIN card 5531886652142950', payer, testInput: '5531886652142950', expect: 'succeeded' },
    { name: '3DS Visa 4187427415564246', payer, testInput: '4187427415564246', expect: 'succeeded' },
    {
      name: 'Insufficient Funds card',
      payer,
      testInput: '5258585922666506',
      expect: 'failed',
      failureCode: 'insufficient_funds',
    },
    {
      name: 'Do Not Honour card',
      payer,
      testInput: '5143010522339965',
      expect: 'failed',
      failureCode: 'declined',
    },
    {
      name: 'Fraudulent card',
      payer,
      testInput: '5590131743294314',
      expect: 'failed',
      failureCode: 'declined',
    },
    {
      name: 'Invalid Transaction card',
      payer,
      testInput: '5551658157653822',
      expect: 'failed',
      failureCode: 'declined',
    },
    {
      name: 'Function Not Permitted to Cardholder',
      payer,
      testInput: '5258582054729020',
      expect: 'failed',
      failureCode: 'declined',
    },
    {
      name: 'Function Not Permitted to Terminal',
      payer,
      testInput: '5258588264565682',
      expect: 'failed',
      failureCode: 'declined',
    },
    {
      name: 'Restricted Card, Retain Card',
      payer,
      testInput: '5551651630381384',
      expect: 'failed',
      failureCode: 'account_locked',
    },
    {
      name: 'Transaction Error card',
      payer,
      testInput: '5258589130149016',
      expect: 'failed',
      failureCode: 'processing_error',
    },
    {
      name: 'Incorrect PIN card',
      payer,
      testInput: '5399834697894723',
      expect: 'failed',
      failureCode: 'wrong_pin',
    },
    {
      name: 'wrong OTP 5548',
      payer,
      testInput: '5531886652142950:5548',
      expect: 'failed',
      failureCode: 'wrong_pin',
    },
    {
      name: 'insufficient funds OTP 6648',
      payer,
      testInput: '5531886652142950:6648',
      expect: 'failed',
      failureCode: 'insufficient_funds',
    },
    { name: 'unknown card', payer, testInput: '5399999999999999', expect: 'failed', failureCode: 'declined' },
  ],
  payouts: [
    {
      name: 'Access Bank test account 0690000031',
      destination: {
        type: 'bank',
        bankCode: '044',
        accountNumber: '0690000031',
        accountName: 'Forrest Green',
      },
      expect: 'succeeded',
    },
    {
      name: 'merchant balance short (0690000040)',
      destination: { type: 'bank', bankCode: '044', accountNumber: '0690000040' },
      expect: 'failed',
      failureCode: 'insufficient_funds',
    },
    {
      name: 'unknown account',
      destination: { type: 'bank', bankCode: '058', accountNumber: '0123456789' },
      expect: 'failed',
      failureCode: 'invalid_destination',
    },
  ],
};
