import { describe, expect, it } from 'vitest';
import { compileFilter, pageQuery, type TransactionFilter } from './transaction-query.ts';

const branches = (filter: TransactionFilter) => {
  const q = compileFilter(filter);
  return { payments: q.payments !== null, ledger: q.ledger !== null };
};

describe('a filter reads only the branches that can match', () => {
  it.each<[TransactionFilter, { payments: boolean; ledger: boolean }]>([
    [{}, { payments: true, ledger: true }],
    [{ type: 'deposit' }, { payments: true, ledger: false }],
    [{ type: 'held_transfer' }, { payments: false, ledger: true }],
    [{ provider: 'mpesa' }, { payments: true, ledger: false }],
    [{ status: 'failed' }, { payments: true, ledger: false }],
    [{ status: 'canceled' }, { payments: true, ledger: true }],
    [
      { type: 'transfer', provider: 'mpesa' },
      { payments: false, ledger: false },
    ],
  ])('%j', (filter, expected) => {
    expect(branches(filter)).toEqual(expected);
  });

  it('asks nothing of the database when no branch can match', () => {
    expect(pageQuery(compileFilter({ type: 'transfer', status: 'refunded' }), undefined, 10).values).toEqual(
      [],
    );
  });
});

describe('bounds', () => {
  it('turns dates into UTC instants, a `created_to` date covering its whole day', () => {
    const q = compileFilter({ createdFrom: '2026-11-23', createdTo: '2026-11-23' });
    expect(q.params).toEqual(['2026-11-23T00:00:00.000Z', '2026-11-24T00:00:00.000Z']);
  });

  it('keeps a date-time as given (PostgreSQL keeps its microseconds)', () => {
    const at = '2026-11-23T10:00:00.123456+03:00';
    expect(compileFilter({ createdFrom: at }).params).toEqual([at]);
  });

  it('compares amounts in exact minor units', () => {
    const q = compileFilter({ currency: 'ETH', amountMin: '0.000000000000000001' });
    expect(q.params).toEqual(['ETH', '1']);
  });

  it.each<[TransactionFilter, string, string]>([
    [{ amountMin: '1' }, 'validation_failed', 'amount_min'],
    [{ currency: 'UGX', amountMax: '1.5' }, 'amount_too_precise', 'amount_max'],
    [{ currency: 'KES', amountMin: '2', amountMax: '1' }, 'validation_failed', 'amount_max'],
    [{ createdFrom: '2026-02-29' }, 'validation_failed', 'created_from'],
    [{ createdTo: '2026-11-23 10:00' }, 'validation_failed', 'created_to'],
    [
      { createdFrom: '2026-11-23T10:00:00Z', createdTo: '2026-11-23T09:00:00Z' },
      'validation_failed',
      'created_to',
    ],
    [{ type: 'refund' as never }, 'validation_failed', 'type'],
  ])('refuses %j', (filter, code, param) => {
    expect(() => compileFilter(filter)).toThrow(expect.objectContaining({ code, param }));
  });
});
