import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeId, newId } from './ids.ts';

// The reference encoding: the 128-bit value (time << 80 | random) in 26 base32 digits, via BigInt.
function reference(nowMs: number, random: Buffer): string {
  let value = BigInt(nowMs);
  for (const byte of random) value = (value << 8n) | BigInt(byte);
  let out = '';
  for (let i = 0; i < 26; i++) {
    out = '0123456789abcdefghjkmnpqrstvwxyz'[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

describe('newId', () => {
  it('is the prefix, then 26 Crockford base32 characters', () => {
    expect(newId('txf')).toMatch(/^txf_[0-9a-hjkmnp-tv-z]{26}$/);
  });

  it('encodes time and randomness exactly as the 128-bit reference does', () => {
    const randoms = [Buffer.alloc(10), Buffer.alloc(10, 0xff), randomBytes(10), randomBytes(10)];
    for (const now of [0, 1, 1_795_400_000_000, 2 ** 48 - 1]) {
      for (const random of randoms) expect(encodeId(now, random)).toBe(reference(now, random));
      expect(newId('x', now).slice(2, 12)).toBe(reference(now, Buffer.alloc(10)).slice(0, 10));
    }
  });

  it('sorts by creation time and never repeats', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => newId('x', 1_700_000_000_000 + i));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(Array.from({ length: 20_000 }, () => newId('x'))).size).toBe(20_000);
  });
});
