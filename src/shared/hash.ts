import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Hex SHA-256. For looking up high-entropy secrets (refresh tokens, API keys) by their hash and for
 * fingerprinting requests; never for passwords or PINs (those use argon2id).
 */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Compares a secret someone presented with ours in constant time. Digests first, so neither the
 * length nor the content of either leaks through timing, whatever their lengths.
 */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
