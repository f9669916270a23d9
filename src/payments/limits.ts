/**
 * Limits per transaction and per rolling 24 hours, per payer (user or merchant) and currency, for
 * deposits and withdrawals. The daily figure counts every payment that is not over and failed: money
 * still pending counts, so twenty parallel requests can't each slip under the limit.
 */
import { Type } from '@sinclair/typebox';
import { ChatPayError } from '../shared/errors.ts';
import { formatAmount, parseAmount } from '../shared/money.ts';
import { type KycLevel, kycLevels } from '../users/index.ts';
import type { Direction } from './fees.ts';
import { parseRules } from './rules-json.ts';

export interface LimitRule {
  readonly currency: string;
  readonly direction: Direction;
  readonly perTransactionMin: bigint | undefined;
  readonly perTransactionMax: bigint | undefined;
  readonly perDayMax: bigint | undefined;
}

const DirectionJson = Type.Union([Type.Literal('deposit'), Type.Literal('withdrawal')]);
// What `PAYMENT_LIMITS` and `KYC_LIMITS` rules share: amounts as decimal strings in major units.
const maximaJson = {
  currency: Type.String({ pattern: '^[A-Z]{3,5}$' }),
  per_transaction_max: Type.Optional(Type.String()),
  per_day_max: Type.Optional(Type.String()),
};

const LimitRuleJson = Type.Object(
  { ...maximaJson, direction: DirectionJson, per_transaction_min: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

/** Rule `i`'s amount in minor units; undefined when the rule leaves it out. */
function ruleAmount(value: string | undefined, currency: string, i: number): bigint | undefined {
  if (value === undefined) return undefined;
  try {
    return parseAmount(value, currency);
  } catch {
    throw new Error(`rule ${i}: ${JSON.stringify(value)} is not a positive amount in ${currency}`);
  }
}

/** Parses `PAYMENT_LIMITS`: a JSON array of rules, amounts as decimal strings in major units. */
export function parseLimits(text: string): LimitRule[] {
  return parseRules(text, LimitRuleJson, 'limit rules', (item, i) => ({
    currency: item.currency,
    direction: item.direction,
    perTransactionMin: ruleAmount(item.per_transaction_min, item.currency, i),
    perTransactionMax: ruleAmount(item.per_transaction_max, item.currency, i),
    perDayMax: ruleAmount(item.per_day_max, item.currency, i),
  }));
}

const money = (minor: bigint, currency: string) => `${formatAmount(minor, currency)} ${currency}`;
/** What is left of a daily maximum after `used` (never below zero). */
const leftOf = (max: bigint, used: bigint) => (max > used ? max - used : 0n);

export class Limits {
  #rules: ReadonlyMap<string, LimitRule>;
  /** The limits of each KYC level (`KYC_LIMITS`), on top of these. */
  readonly kyc: KycLimits;

  constructor(rules: readonly LimitRule[], kycRules: readonly KycLimitRule[] = []) {
    this.#rules = new Map(rules.map((r) => [`${r.direction}:${r.currency}`, r]));
    this.kyc = new KycLimits(kycRules);
  }

  /** Swaps in new limits (an operator edited them); checks use them from the next call. */
  replace(rules: readonly LimitRule[]): void {
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
        message: `The smallest ${direction} is ${money(r.perTransactionMin, currency)}.`,
      });
    }
    if (r?.perTransactionMax !== undefined && amount > r.perTransactionMax) {
      throw new ChatPayError('limit_exceeded', {
        param: 'amount',
        message: `The largest ${direction} is ${money(r.perTransactionMax, currency)}.`,
      });
    }
  }

  /** Throws `limit_exceeded` when `amount` on top of the last 24 hours' `used` passes the daily limit. */
  checkDaily(currency: string, direction: Direction, amount: bigint, used: bigint): void {
    const max = this.rule(currency, direction)?.perDayMax;
    if (max === undefined || used + amount <= max) return;
    throw new ChatPayError('limit_exceeded', {
      param: 'amount',
      message: `This passes your ${direction} limit of ${money(max, currency)} a day; ${money(leftOf(max, used), currency)} is left.`,
    });
  }
}

/** KYC-level limits also cover what a person sends to others (transfers and held transfers). */
export type KycDirection = Direction | 'transfer';

export interface KycLimitRule {
  readonly level: KycLevel;
  readonly currency: string;
  readonly direction: KycDirection;
  readonly perTransactionMax: bigint | undefined;
  readonly perDayMax: bigint | undefined;
}

const KycLimitRuleJson = Type.Object(
  {
    ...maximaJson,
    level: Type.Union(kycLevels.map((l) => Type.Literal(l))),
    direction: Type.Optional(
      Type.Union([Type.Literal('deposit'), Type.Literal('withdrawal'), Type.Literal('transfer')]),
    ),
  },
  { additionalProperties: false },
);

/**
 * Parses `KYC_LIMITS`: a JSON array of `{level, currency, direction?, per_transaction_max?,
 * per_day_max?}` (major units; no direction means deposits and withdrawals; `transfer`, what a person
 * sends to others, is limited only by rules that name it). A level without a rule for a currency and
 * direction has no KYC limit there.
 */
export function parseKycLimits(text: string): KycLimitRule[] {
  return parseRules(text, KycLimitRuleJson, 'KYC limit rules', (item, i) => {
    const directions: KycDirection[] = item.direction ? [item.direction] : ['deposit', 'withdrawal'];
    const perTransactionMax = ruleAmount(item.per_transaction_max, item.currency, i);
    const perDayMax = ruleAmount(item.per_day_max, item.currency, i);
    return directions.map((direction) => ({
      level: item.level,
      currency: item.currency,
      direction,
      perTransactionMax,
      perDayMax,
    }));
  }).flat();
}

/**
 * Limits by the user's KYC level. Checked in the payment's insert transaction, under the same
 * per-user lock as the daily limit, with the level read there too: an approval landing meanwhile
 * counts for the next payment, never half for this one.
 */
export class KycLimits {
  readonly #rules: ReadonlyMap<string, KycLimitRule>;
  readonly #guarded: ReadonlySet<string>;

  constructor(rules: readonly KycLimitRule[]) {
    this.#rules = new Map(rules.map((r) => [`${r.level}:${r.direction}:${r.currency}`, r]));
    this.#guarded = new Set(rules.map((r) => `${r.direction}:${r.currency}`));
  }

  rule(level: KycLevel, currency: string, direction: KycDirection): KycLimitRule | undefined {
    return this.#rules.get(`${level}:${direction}:${currency}`);
  }

  /** Whether any level limits `direction` in `currency` (else nothing needs reading). */
  guards(direction: KycDirection, currency: string): boolean {
    return this.#guarded.has(`${direction}:${currency}`);
  }

  /** Throws `limit_exceeded` (naming the level) when `level` doesn't allow `amount` on top of `used`. */
  checkAmounts(
    level: KycLevel,
    currency: string,
    direction: KycDirection,
    amount: bigint,
    used: bigint,
  ): void {
    const r = this.rule(level, currency, direction);
    const raise = level === 'full' ? '' : ' Verify your identity (KYC) to raise it.';
    if (r?.perTransactionMax !== undefined && amount > r.perTransactionMax) {
      throw new ChatPayError('limit_exceeded', {
        param: 'amount',
        message: `At KYC level ${level}, the largest ${direction} is ${money(r.perTransactionMax, currency)}.${raise}`,
      });
    }
    if (r?.perDayMax !== undefined && used + amount > r.perDayMax) {
      const left = money(leftOf(r.perDayMax, used), currency);
      throw new ChatPayError('limit_exceeded', {
        param: 'amount',
        message: `At KYC level ${level}, your ${direction} limit is ${money(r.perDayMax, currency)} a day; ${left} is left.${raise}`,
      });
    }
  }
}
