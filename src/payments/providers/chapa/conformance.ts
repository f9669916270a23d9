/**
 * What the shared conformance suite runs against Chapa: every checkout outcome the sandbox
 * documents, and every transfer outcome that ends in a webhook.
 */
import type { ConformanceDriver } from '../conformance/driver.ts';
import { chapa } from './definition.ts';
import { chapaTestAccounts, chapaTestInputs } from './sandbox-data.ts';

const payer = { email: 'abebe.bikila@example.com', name: 'Abebe Bikila', phone: '+251911234567' };
/** Commercial Bank of Ethiopia in the sandbox's list: 13-digit accounts. */
const cbe = '946';

export const chapaConformanceDriver: ConformanceDriver = {
  definition: chapa,
  currency: 'ETB',
  // 123.47 birr: not round, so a units mistake (cents vs birr) shows.
  amountMinor: 12_347n,
  collections: [
    { name: 'test card 4242…', payer, testInput: chapaTestInputs.cardSuccess, expect: 'succeeded' },
    { name: 'telebirr test number', payer, testInput: chapaTestInputs.telebirrSuccess, expect: 'succeeded' },
    { name: 'M-Pesa test number', payer, testInput: chapaTestInputs.mpesaSuccess, expect: 'succeeded' },
    {
      name: 'declined test card',
      payer,
      testInput: chapaTestInputs.cardDeclined,
      expect: 'failed',
      failureCode: 'declined',
    },
    {
      // Chapa v1 reports an insufficient-funds card only as `failed`, so it reads as a decline.
      name: 'insufficient-funds test card',
      payer,
      testInput: chapaTestInputs.cardInsufficientFunds,
      expect: 'failed',
      failureCode: 'declined',
    },
    {
      name: 'payer cancels on the checkout',
      payer,
      testInput: chapaTestInputs.cancel,
      expect: 'failed',
      failureCode: 'cancelled_by_payer',
    },
  ],
  payouts: [
    {
      name: 'bank account that succeeds',
      destination: {
        type: 'bank',
        bankCode: cbe,
        accountNumber: chapaTestAccounts.success,
        accountName: 'Abebe Bikila',
      },
      expect: 'succeeded',
    },
    {
      name: 'bank account that fails',
      destination: {
        type: 'bank',
        bankCode: cbe,
        accountNumber: chapaTestAccounts.failed,
        accountName: 'Abebe Bikila',
      },
      expect: 'failed',
      failureCode: 'processing_error',
    },
  ],
};
