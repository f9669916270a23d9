/**
 * Limits per transaction and per rolling 24 hours, per payer (user or merchant) and currency, for
 * deposits and withdrawals. The daily figure counts every payment that is not over and failed: money
 * still pending counts, so twenty parallel requests can't each slip under the limit.
 */
import { Type } from '@sinclair/typebox';
import { ChatPayError } from '../shared/errors.ts';
import { formatAmount, parseAmount } from '../shared/money.ts';
import type { Direction } from './fees.ts';
import { parseRules } from './rules-json.ts';

export interface LimitRule {
  readonly currency: string;
  readonly direction: Direction;
  readonly perTransactionMin: bigint | undefined;
  readonly perTransactionMax: bigint | undefined;
  readonly perDayMax: bigint | undefined;
}

const LimitRuleJson = Type.Object(
  {
    currency: Type.String({ pattern: '^[A-Z]{3,5}$' }),
    direction: Type.Union([Type.Literal('deposit'), Type.Literal('withdrawal')]),
    per_transaction_min: Type.Optional(Type.String()),
    per_transaction_max: Type.Optional(Type.String()),
    per_day_max: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** Parses `PAYMENT_LIMITS`: a JSON array of rules, amounts as decimal strings in major units. */
export function parseLimits(text: string): LimitRule[] {
  return parseRules(text, LimitRuleJson, 'limit rules', (item, i) => {
    const amount = (value: string | undefined) => {
      if (value === undefined) return undefined;
      try {
        return parseAmount(value, item.currency);
      } catch {
        throw new Error(`rule ${i}: ${JSON.stringify(value)} is not a positive amount in ${item.currency}`);
      }
    };
    return {
      currency: item.currency,
      direction: item.direction,
      perTransactionMin: amount(item.per_transaction_min),
      perTransactionMax: amount(item.per_transaction_max),
      perDayMax: amount(item.per_day_max),
    };
  });
}

export class Limits {
  readonly #rules: ReadonlyMap<string, LimitRule>;

  constructor(rules: readonly LimitRule[]) {
    this.#rules = new Map(rules.map((r) => [`${r.direction}:${r.currency}`, r]));
  }

  rule(currency: string, direction: Direction): LimitRule | undefined {
    return this.#rules.get(`${direction}:${currency}`);
  }

  /** Throws `amount_below_minimum` or `limit_exceeded` for one transaction. */
  checkTransaction(currency: string, direction: Direction, amount: bigint): void {
    const r = this.rule(currency, direction);
    if (r?.perTransactionMin !== undefined && amount < r.perTransactionMin) {
      throw new ChatPayError('amount_below_minimum', {
        param: 'amount',
        message: `The smallest ${direction} is ${formatAmount(r.perTransactionMin, currency)} ${currency}.`,
      });
    }
    if (r?.perTransactionMax !== undefined && amount > r.perTransactionMax) {
      throw new ChatPayError('limit_exceeded', {
        param: 'amount',
        message: `The largest ${direction} is ${formatAmount(r.perTransactionMax, currency)} ${currency}.`,
      });
    }
  }

  /** Throws `limit_exceeded` when `amount` on top of the last 24 hours' `used` passes the daily limit. */
  checkDaily(currency: string, direction: Direction, amount: bigint, used: bigint): void {
    const max = this.rule(currency, direction)?.perDayMax;
    if (max === undefined || used + amount <= max) return;
    const left = max - used > 0n ? max - used : 0n;
    throw new ChatPayError('limit_exceeded', {
      param: 'amount',
      message: `This passes your ${direction} limit of ${formatAmount(max, currency)} ${currency} a day; ${formatAmount(left, currency)} ${currency} is left.`,
    });
  }
}
