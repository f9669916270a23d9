import { createHash } from 'node:crypto';

/**
 * Hex SHA-256. For looking up high-entropy secrets (refresh tokens, API keys) by their hash and for
 * fingerprinting requests; never for passwords or PINs (those use argon2id).
 */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
