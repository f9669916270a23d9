/** The documented sandbox outcomes, for the shared conformance suite (table in `sandbox-outcomes.ts`). */
import type { ConformanceDriver } from '../conformance/driver.ts';
import { mpesa } from './definition.ts';

const phone = (msisdn: string) => ({ phone: `+${msisdn}` });

export const mpesaConformanceDriver: ConformanceDriver = {
  definition: mpesa,
  currency: 'KES',
  // KES 123: whole shillings (M-Pesa's step) but not round, so a unit slip shows.
  amountMinor: 12_300n,
  // Daraja's STK Push Query answers ResultCode and ResultDesc only.
  statusWithoutAmount: true,
  collections: [
    { name: 'test MSISDN pays', payer: phone('254708374149'), testInput: '', expect: 'succeeded' },
    {
      name: 'insufficient balance (1)',
      payer: phone('254700000001'),
      testInput: '',
      expect: 'failed',
      failureCode: 'insufficient_funds',
    },
    {
      name: 'cancelled on the handset (1032)',
      payer: phone('254700001032'),
      testInput: '',
      expect: 'failed',
      failureCode: 'cancelled_by_payer',
    },
    {
      name: 'handset unreachable (1037)',
      payer: phone('254700001037'),
      testInput: '',
      expect: 'failed',
      failureCode: 'payer_unreachable',
    },
    {
      name: 'wrong PIN (2001)',
      payer: phone('254700002001'),
      testInput: '',
      expect: 'failed',
      failureCode: 'wrong_pin',
    },
    {
      name: 'expired (1019)',
      payer: phone('254700001019'),
      testInput: '',
      expect: 'failed',
      failureCode: 'expired',
    },
    {
      name: 'subscriber locked (1001)',
      payer: phone('254700001001'),
      testInput: '',
      expect: 'failed',
      failureCode: 'account_locked',
    },
  ],
  payouts: [
    {
      name: 'B2C to the test MSISDN',
      destination: { type: 'phone', phone: '+254708374149' },
      expect: 'succeeded',
    },
    {
      name: 'B2C with too little float (1)',
      destination: { type: 'phone', phone: '+254700000001' },
      expect: 'failed',
      failureCode: 'insufficient_funds',
    },
    {
      name: 'B2C to an unregistered customer (2040)',
      destination: { type: 'phone', phone: '+254700002040' },
      expect: 'failed',
      failureCode: 'invalid_destination',
    },
    {
      name: 'B2C queue timeout (QueueTimeOutURL)',
      destination: { type: 'phone', phone: '+254700001019' },
      expect: 'failed',
      failureCode: 'expired',
    },
  ],
};
