import { describe, expect, it } from 'vitest';
import { FeeSchedule, parseFeeSchedule } from './fees.ts';

const schedule = new FeeSchedule(
  parseFeeSchedule(
    JSON.stringify([
      { provider: '*', currency: '*', direction: 'withdrawal', percent: '1' },
      {
        provider: 'mpesa',
        currency: 'KES',
        direction: 'withdrawal',
        percent: '1.5',
        fixed: '10',
        min: '15',
        max: '300',
      },
      { provider: 'chapa', currency: 'ETB', direction: 'deposit', percent: '2.75' },
    ]),
  ),
);

describe('fee schedule', () => {
  it.each([
    // provider, currency, direction, amount (minor), fee (minor)
    ['mpesa', 'KES', 'withdrawal', 100_000n, 2_500n], // 1.5 % of 1,000.00 = 15.00, + 10.00
    ['mpesa', 'KES', 'withdrawal', 1_00n, 1_500n], // below the minimum of 15.00
    ['mpesa', 'KES', 'withdrawal', 100_000_00n, 30_000n], // capped at 300.00
    ['chapa', 'KES', 'withdrawal', 1_001n, 11n], // the wildcard rule, 1 % of 10.01 rounds up to 0.11
    ['chapa', 'ETB', 'deposit', 10_000n, 275n],
    ['chapa', 'ETB', 'deposit', 1n, 1n], // a fraction of a cent rounds up to one cent
    ['stripe', 'USD', 'deposit', 10_000n, 0n], // no rule: no fee
  ] as const)('%s %s %s %s → %s', (provider, currency, direction, amount, fee) => {
    expect(schedule.fee(provider, currency, direction, amount)).toBe(fee);
  });

  it.each([
    ['not json', 'must be a JSON array'],
    ['{}', 'must be a JSON array'],
    ['[{"provider":"mpesa","currency":"KES","direction":"sideways"}]', 'rule 0'],
    ['[{"provider":"mpesa","currency":"*","direction":"deposit","fixed":"1"}]', 'concrete currency'],
    ['[{"provider":"mpesa","currency":"KES","direction":"deposit","fixed":"1.001"}]', 'not an amount'],
    ['[{"provider":"mpesa","currency":"KES","direction":"deposit","percent":"1.234"}]', 'rule 0'],
    ['[{"provider":"mpesa","currency":"KES","direction":"deposit","min":"5","max":"1"}]', 'max ≥ min'],
  ])('refuses %s', (text, message) => {
    expect(() => parseFeeSchedule(text)).toThrow(message);
  });
});
