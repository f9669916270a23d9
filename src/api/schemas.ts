import { type TSchema, Type } from '@sinclair/typebox';
import { currencyCodes } from '../shared/currencies.ts';

/** Shared pieces of the route schemas (the single source of truth for validation and OpenAPI). */

export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object({
      type: Type.String(),
      code: Type.String({ description: 'Stable code from docs/errors.md.' }),
      message: Type.String(),
      param: Type.Optional(Type.String()),
      request_id: Type.String(),
    }),
  },
  { $id: 'Error', description: 'Every error has this shape.' },
);

export const Currency = Type.Union(
  currencyCodes.map((c) => Type.Literal(c)),
  { description: 'ISO 4217 code, or USDT, BTC, ETH.' },
);

export const Amount = Type.String({
  description: 'Decimal string in major units, with at most the currency’s decimals, e.g. "12.50".',
  examples: ['12.50'],
  maxLength: 80,
});

export const Timestamp = Type.String({ format: 'date-time' });

/** A value that may be `null` (a field present in every answer, empty when it doesn't apply). */
export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

export const UserId = Type.String({ pattern: '^usr_[0-9a-z]{26}$', description: 'A user id, `usr_…`.' });

/** Error responses every authenticated route can give. */
export function errors(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, Type.Ref('Error')]));
}

export function list<T extends TSchema>(item: T) {
  return Type.Object({ object: Type.Literal('list'), data: Type.Array(item), has_more: Type.Boolean() });
}

/**
 * A page of a list read with one row more than `limit`: the extra row is not shown, it only says
 * there is more (`has_more`).
 */
export function pageOf<T, U>(rows: readonly T[], limit: number, view: (row: T) => U) {
  return { object: 'list' as const, data: rows.slice(0, limit).map(view), has_more: rows.length > limit };
}
