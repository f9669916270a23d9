import { randomBytes } from 'node:crypto';

// Crockford's base32: no I, L, O, U, so ids survive being read aloud or typed from a receipt.
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A prefixed, time-sortable id (`txf_01JD…`): 48 bits of milliseconds then 80 random bits, as in
 * ULID, so ids created later sort later and an index on them stays append-mostly.
 */
export function newId(prefix: string, nowMs: number = Date.now()): string {
  const random = randomBytes(10);
  let value = BigInt(nowMs);
  for (const byte of random) value = (value << 8n) | BigInt(byte);
  let out = '';
  for (let i = 0; i < 26; i++) {
    out = alphabet[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return `${prefix}_${out.toLowerCase()}`;
}
