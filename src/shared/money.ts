import { type Currency, findCurrency } from './currencies.ts';
import { ChatPayError } from './errors.ts';

/**
 * The largest magnitude the ledger stores: PostgreSQL `numeric(38,0)` holds at most 38 digits.
 * Every amount and every running total is bounded by it.
 */
export const minorUnitsMax = 10n ** 38n - 1n;

// ASCII digits only (`\d` would be ASCII too in JS, but spelling it out documents the intent), no
// exponent, no leading plus, no leading zeros, no bare or trailing dot.
const decimalPattern = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;
const digitsInputMax = 80;

export interface ParseAmountOptions {
  /** Allow zero and negative amounts (adjustments, balances). Default: only amounts > 0. */
  readonly allowNonPositive?: boolean;
  /** The request field name reported in errors. Default `amount`. */
  readonly param?: string;
}

export function requireCurrency(code: string, param = 'currency'): Currency {
  const currency = typeof code === 'string' ? findCurrency(code) : undefined;
  if (!currency) throw new ChatPayError('currency_unknown', { param, details: { currency: code } });
  return currency;
}

/** Converts `"12.50"` in major units of `currencyCode` to exact integer minor units (`1250n`). */
export function parseAmount(amount: unknown, currencyCode: string, options: ParseAmountOptions = {}): bigint {
  const param = options.param ?? 'amount';
  const currency = requireCurrency(currencyCode);
  if (typeof amount !== 'string' || amount.length === 0 || amount.length > digitsInputMax) {
    throw new ChatPayError('amount_invalid', { param });
  }
  const match = decimalPattern.exec(amount);
  if (!match) throw new ChatPayError('amount_invalid', { param });
  const [, sign, whole = '', fraction = ''] = match;
  if (fraction.length > currency.decimals) {
    throw new ChatPayError('amount_too_precise', {
      param,
      message: `${currency.code} allows at most ${currency.decimals} decimal places.`,
    });
  }
  const magnitude = BigInt(whole + fraction.padEnd(currency.decimals, '0'));
  if (magnitude > minorUnitsMax) throw new ChatPayError('amount_too_large', { param });
  const minor = sign === '-' ? -magnitude : magnitude;
  if (!options.allowNonPositive && minor <= 0n) throw new ChatPayError('amount_must_be_positive', { param });
  return minor;
}

/** Converts integer minor units back to a decimal string in major units with all the currency's decimals. */
export function formatAmount(minor: bigint, currencyCode: string): string {
  const currency = requireCurrency(currencyCode);
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(currency.decimals + 1, '0');
  const whole = digits.slice(0, digits.length - currency.decimals);
  const fraction = digits.slice(digits.length - currency.decimals);
  const text = currency.decimals === 0 ? whole : `${whole}.${fraction}`;
  return negative ? `-${text}` : text;
}
