/**
 * What Stripe's sandbox tells the shared conformance suite: each documented test card on the hosted
 * Checkout page, and the outcome the adapter must report for it. `expire` stands for a session left
 * unpaid until it expires.
 */
import type { CollectionCase, ConformanceDriver } from '../conformance/driver.ts';
import { stripe } from './definition.ts';

const payer = { email: 'payer@example.com' };

const collections: readonly CollectionCase[] = [
  { name: 'Visa 4242 4242 4242 4242', payer, testInput: '4242424242424242', expect: 'succeeded' },
  { name: 'Mastercard 5555 5555 5555 4444', payer, testInput: '5555555555554444', expect: 'succeeded' },
  {
    name: 'generic decline 4000…0002',
    payer,
    testInput: '4000000000000002',
    expect: 'failed',
    failureCode: 'declined',
  },
  {
    name: 'insufficient funds 4000…9995',
    payer,
    testInput: '4000000000009995',
    expect: 'failed',
    failureCode: 'insufficient_funds',
  },
  {
    name: 'processing error 4000…0119',
    payer,
    testInput: '4000000000000119',
    expect: 'failed',
    failureCode: 'processing_error',
  },
  {
    name: 'lost card 4000…9987',
    payer,
    testInput: '4000000000009987',
    expect: 'failed',
    failureCode: 'account_locked',
  },
  {
    name: 'stolen card 4000…9979',
    payer,
    testInput: '4000000000009979',
    expect: 'failed',
    failureCode: 'account_locked',
  },
  {
    name: 'incorrect CVC 4000…0127',
    payer,
    testInput: '4000000000000127',
    expect: 'failed',
    failureCode: 'wrong_pin',
  },
  {
    name: 'expired card 4000…0069',
    payer,
    testInput: '4000000000000069',
    expect: 'failed',
    failureCode: 'declined',
  },
  {
    name: 'Radar block 4100…0019',
    payer,
    testInput: '4100000000000019',
    expect: 'failed',
    failureCode: 'declined',
  },
  { name: 'session expires unpaid', payer, testInput: 'expire', expect: 'failed', failureCode: 'expired' },
];

export const stripeConformanceDriver: ConformanceDriver = {
  definition: stripe,
  currency: 'USD',
  amountMinor: 1234n,
  collections,
};
