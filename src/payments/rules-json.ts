/** Settings written as a JSON array of rules (`PAYMENT_FEES`, `PAYMENT_LIMITS`). */
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * Parses `text` as a JSON array whose every item matches `schema`, then maps each with `toRule`.
 * Throws one message naming what is wrong and where (`rule 2: /currency …`), never echoing the text.
 */
export function parseRules<S extends TSchema, R>(
  text: string,
  schema: S,
  what: string,
  toRule: (item: Static<S>, index: number) => R,
): R[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`must be a JSON array of ${what}`);
  }
  if (!Array.isArray(raw)) throw new Error(`must be a JSON array of ${what}`);
  return raw.map((item, i) => {
    if (!Value.Check(schema, item)) {
      const first = [...Value.Errors(schema, item)][0];
      throw new Error(`rule ${i}: ${first?.path || '(rule)'} ${first?.message ?? 'is invalid'}`);
    }
    return toRule(item, i);
  });
}
