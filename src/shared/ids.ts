import { randomFillSync } from 'node:crypto';

// Crockford's base32: no I, L, O, U, so ids survive being read aloud or typed from a receipt.
const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

// Random bytes are drawn in blocks: one system call per 409 ids instead of one per id. Every request
// makes an id, so this is on the hot path.
const randomBlock = Buffer.alloc(4096);
let randomOffset = randomBlock.length;

function nextRandom10(): number {
  if (randomOffset + 10 > randomBlock.length) {
    randomFillSync(randomBlock);
    randomOffset = 0;
  }
  const at = randomOffset;
  randomOffset += 10;
  return at;
}

/** 40 bits (5 bytes from `at`) as 8 base32 characters. */
function encode40(bytes: Buffer, at: number): string {
  let value = 0;
  for (let i = 0; i < 5; i++) value = value * 256 + (bytes[at + i] as number);
  let chars = '';
  for (let i = 0; i < 8; i++) {
    chars = alphabet[value % 32] + chars;
    value = Math.floor(value / 32);
  }
  return chars;
}

/**
 * A prefixed, time-sortable id (`txf_01jd…`): 48 bits of milliseconds then 80 random bits, as in
 * ULID, so ids created later sort later and an index on them stays append-mostly. Plain number
 * arithmetic (every part fits a double exactly); no BigInt on the hot path.
 */
export function newId(prefix: string, nowMs: number = Date.now()): string {
  return `${prefix}_${encodeId(nowMs, randomBlock, nextRandom10())}`;
}

/** 26 characters: `nowMs` in the first 10, the 10 bytes of `random` from `at` in the last 16. */
export function encodeId(nowMs: number, random: Buffer, at = 0): string {
  let time = nowMs;
  let chars = '';
  for (let i = 0; i < 10; i++) {
    chars = alphabet[time % 32] + chars;
    time = Math.floor(time / 32);
  }
  return chars + encode40(random, at) + encode40(random, at + 5);
}
