/**
 * The fee schedule: per provider, currency and direction, a percentage (in basis points) plus a fixed
 * amount, clamped to a minimum and maximum. Fees are integer minor units; the percentage part rounds
 * up (a fraction of a cent is never given away, and never invented: the payer sees the exact fee in
 * the quote before confirming).
 */
import { Type } from '@sinclair/typebox';
import { parseAmount } from '../shared/money.ts';
import { parseRules } from './rules-json.ts';

export type Direction = 'deposit' | 'withdrawal';

export interface FeeRule {
  /** A provider id, or `*` for every provider. */
  readonly provider: string;
  /** A currency code, or `*`. */
  readonly currency: string;
  readonly direction: Direction;
  /** Hundredths of a percent: 150 = 1.5 %. */
  readonly basisPoints: number;
  /** Fixed part, minor units. */
  readonly fixed: bigint;
  readonly min: bigint;
  readonly max: bigint | undefined;
}

/** The JSON an operator writes in `PAYMENT_FEES` (amounts as decimal strings in major units). */
export const FeeRuleJson = Type.Object(
  {
    provider: Type.String({ pattern: '^([a-z0-9_]+|\\*)$' }),
    currency: Type.String({ pattern: '^([A-Z]{3,5}|\\*)$' }),
    direction: Type.Union([Type.Literal('deposit'), Type.Literal('withdrawal')]),
    percent: Type.Optional(Type.String({ pattern: '^[0-9]{1,2}(\\.[0-9]{1,2})?$' })),
    fixed: Type.Optional(Type.String()),
    min: Type.Optional(Type.String()),
    max: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/**
 * Parses `PAYMENT_FEES`: a JSON array of rules. Fixed, min and max amounts need a concrete currency
 * (their precision depends on it). Throws with a message naming the bad rule.
 */
export function parseFeeSchedule(text: string): FeeRule[] {
  return parseRules(text, FeeRuleJson, 'fee rules', (item, i) => {
    const needsCurrency = item.fixed !== undefined || item.min !== undefined || item.max !== undefined;
    if (needsCurrency && item.currency === '*') {
      throw new Error(`rule ${i}: fixed, min and max amounts need a concrete currency`);
    }
    const amount = (value: string | undefined) => {
      if (value === undefined) return 0n;
      try {
        return parseAmount(value, item.currency, { allowNonPositive: true });
      } catch {
        throw new Error(`rule ${i}: ${JSON.stringify(value)} is not an amount in ${item.currency}`);
      }
    };
    const [whole = '0', fraction = ''] = (item.percent ?? '0').split('.');
    const rule: FeeRule = {
      provider: item.provider,
      currency: item.currency,
      direction: item.direction,
      basisPoints: Number(whole) * 100 + Number(fraction.padEnd(2, '0')),
      fixed: amount(item.fixed),
      min: amount(item.min),
      max: item.max === undefined ? undefined : amount(item.max),
    };
    if (rule.fixed < 0n || rule.min < 0n || (rule.max !== undefined && rule.max < rule.min)) {
      throw new Error(`rule ${i}: amounts must be ≥ 0 and max ≥ min`);
    }
    return rule;
  });
}

export class FeeSchedule {
  #rules: readonly FeeRule[];

  constructor(rules: readonly FeeRule[]) {
    this.#rules = rules;
  }

  /** Swaps in a new schedule (an operator edited it); quotes and payments use it from the next call. */
  replace(rules: readonly FeeRule[]): void {
    this.#rules = rules;
  }

  /** The most specific rule: exact provider beats `*`, then exact currency beats `*`. */
  rule(provider: string, currency: string, direction: Direction): FeeRule | undefined {
    let best: FeeRule | undefined;
    let bestScore = -1;
    for (const r of this.#rules) {
      if (r.direction !== direction) continue;
      if (r.provider !== '*' && r.provider !== provider) continue;
      if (r.currency !== '*' && r.currency !== currency) continue;
      const score = (r.provider === provider ? 2 : 0) + (r.currency === currency ? 1 : 0);
      if (score > bestScore) {
        best = r;
        bestScore = score;
      }
    }
    return best;
  }

  /** The fee on `amount` (minor units); 0 when no rule applies. */
  fee(provider: string, currency: string, direction: Direction, amount: bigint): bigint {
    const r = this.rule(provider, currency, direction);
    if (!r) return 0n;
    const percentage = (amount * BigInt(r.basisPoints) + 9_999n) / 10_000n;
    let fee = percentage + r.fixed;
    if (fee < r.min) fee = r.min;
    if (r.max !== undefined && fee > r.max) fee = r.max;
    return fee;
  }
}
