import { describe, expect, it } from 'vitest';
import { currencyCodes, findCurrency } from './currencies.ts';
import { isChatPayError } from './errors.ts';
import { formatAmount, minorUnitsMax, parseAmount } from './money.ts';

const decimals: Record<string, number> = {
  ETB: 2,
  KES: 2,
  USD: 2,
  EUR: 2,
  NGN: 2,
  ZWG: 2,
  TZS: 2,
  UGX: 0,
  RWF: 0,
  USDT: 6,
  BTC: 8,
  ETH: 18,
};

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (isChatPayError(error)) return error.code;
    throw error;
  }
}

describe('the currency registry', () => {
  it('has exactly the agreed currencies and decimals', () => {
    expect(Object.fromEntries(currencyCodes.map((c) => [c, findCurrency(c)?.decimals]))).toEqual(decimals);
  });
});

describe.each(Object.entries(decimals))('%s (%i decimals)', (currency, places) => {
  const unit = 10n ** BigInt(places);
  const fraction = (digits: string) => (places === 0 ? '' : `.${digits.padEnd(places, '0')}`);

  it('converts whole amounts, fractions and the smallest unit exactly', () => {
    expect(parseAmount('1', currency)).toBe(unit);
    expect(parseAmount('12', currency)).toBe(12n * unit);
    expect(parseAmount(`12${fraction('5')}`, currency)).toBe(12n * unit + (places === 0 ? 0n : unit / 2n));
    if (places > 0) {
      const smallest = `0.${'1'.padStart(places, '0')}`;
      expect(parseAmount(smallest, currency)).toBe(1n);
      expect(formatAmount(1n, currency)).toBe(smallest);
    }
    expect(formatAmount(12n * unit, currency)).toBe(`12${fraction('0')}`);
  });

  it('round-trips every formatted amount', () => {
    for (const minor of [1n, 7n, unit - 1n, unit, unit + 1n, 123_456_789n, minorUnitsMax]) {
      if (minor <= 0n) continue;
      expect(parseAmount(formatAmount(minor, currency), currency)).toBe(minor);
    }
  });

  it('accepts trailing zeros up to the currency precision', () => {
    if (places === 0) return;
    expect(parseAmount(`3.${'0'.repeat(places)}`, currency)).toBe(3n * unit);
  });

  it.each([
    ['more decimals than allowed', `1.${'1'.repeat(places + 1)}`, 'amount_too_precise'],
    ['zero', '0', 'amount_must_be_positive'],
    ['zero with decimals', places === 0 ? '0' : `0.${'0'.repeat(places)}`, 'amount_must_be_positive'],
    ['negative', '-5', 'amount_must_be_positive'],
    ['exponent notation', '1e3', 'amount_invalid'],
    ['capital exponent', '1E3', 'amount_invalid'],
    ['NaN', 'NaN', 'amount_invalid'],
    ['Infinity', 'Infinity', 'amount_invalid'],
    ['empty', '', 'amount_invalid'],
    ['whitespace', ' 12', 'amount_invalid'],
    ['plus sign', '+12', 'amount_invalid'],
    ['leading zero', '012', 'amount_invalid'],
    ['bare dot', '.5', 'amount_invalid'],
    ['trailing dot', '5.', 'amount_invalid'],
    ['comma separator', '1,000', 'amount_invalid'],
    ['Arabic-Indic digits', '١٢', 'amount_invalid'],
    ['Ethiopic digits', '፲፪', 'amount_invalid'],
    ['full-width digits', '１２', 'amount_invalid'],
    ['hex', '0x10', 'amount_invalid'],
    ['beyond numeric(38,0)', `${minorUnitsMax / unit + 1n}`, 'amount_too_large'],
    ['far beyond', '9'.repeat(60), 'amount_too_large'],
    ['absurdly long', '1'.repeat(200), 'amount_invalid'],
  ])('rejects %s', (_, input, expected) => {
    expect(code(() => parseAmount(input, currency))).toBe(expected);
  });

  it('rejects amounts that are not strings (floats lose money)', () => {
    expect(code(() => parseAmount(12.5, currency))).toBe('amount_invalid');
    expect(code(() => parseAmount(12n, currency))).toBe('amount_invalid');
    expect(code(() => parseAmount(null, currency))).toBe('amount_invalid');
  });

  it('allows zero and negative amounts only when asked', () => {
    expect(parseAmount('0', currency, { allowNonPositive: true })).toBe(0n);
    expect(parseAmount('-2', currency, { allowNonPositive: true })).toBe(-2n * unit);
    expect(formatAmount(-2n * unit, currency)).toBe(`-2${fraction('0')}`);
  });
});

describe('unknown currencies', () => {
  it.each(['XYZ', 'etb', '', 'ETB ', 'US D'])('rejects %j', (currency) => {
    expect(code(() => parseAmount('1', currency))).toBe('currency_unknown');
    expect(code(() => formatAmount(1n, currency))).toBe('currency_unknown');
  });

  it('names the field in the error', () => {
    try {
      parseAmount('1.234', 'USD', { param: 'price' });
    } catch (error) {
      expect(error).toMatchObject({ code: 'amount_too_precise', param: 'price', status: 400 });
      expect((error as Error).message).toContain('USD allows at most 2 decimal places');
      return;
    }
    throw new Error('expected a failure');
  });
});
