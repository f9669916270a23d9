/**
 * Secrets we must be able to read back (an operator's TOTP seed, a merchant webhook's signing secret)
 * are stored sealed: AES-256-GCM under a key from SECRETS_KEY, never in the clear. A copy of the
 * database (a backup, a replica, a leaked dump) then yields neither a second factor nor the means to
 * forge webhooks to merchants.
 *
 * A sealed value reads `sealed:v1:<key id>:<base64url(iv | ciphertext | tag)>`. Each is bound to its
 * row by a context (`totp:<user id>`, `webhook:<endpoint id>`) given as additional authenticated
 * data: someone who can write the table can't move one row's secret to another. The key id (from
 * the key itself) makes a wrong SECRETS_KEY fail with a clear error rather than a corrupt secret.
 *
 * Values written before sealing existed are plain text; `open` passes them through and
 * `sealStoredSecrets` (src/db/seal-stored.ts, run by `chatpay migrate`) seals them in place.
 *
 * Rotation: the new key becomes SECRETS_KEY and the old one SECRETS_KEY_PREVIOUS. New values are
 * sealed under the new key at once, old ones still open under the previous, and `chatpay migrate`
 * re-seals them under the new key; once it has run, SECRETS_KEY_PREVIOUS can go.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { Secret } from './secret.ts';

const prefix = 'sealed:v1:';
const ivBytes = 12;
const tagBytes = 16;

interface Key {
  readonly id: string;
  readonly bytes: Buffer;
}

/** The AES key derived from a SECRETS_KEY (HKDF-SHA256), and its id: 8 hex digits of its hash. */
function deriveKey(secret: Secret): Key {
  const bytes = Buffer.from(hkdfSync('sha256', secret.reveal(), 'chatpay', 'secrets at rest v1', 32));
  return { id: createHash('sha256').update(bytes).digest('hex').slice(0, 8), bytes };
}

export class SecretBox {
  /** The key new values are sealed under. */
  readonly #current: Key;
  /** Every key a stored value may be sealed under, by id: the current one and the previous ones. */
  readonly #keys: ReadonlyMap<string, Buffer>;

  /**
   * `secret`: SECRETS_KEY, at least 32 characters, sealing everything from now on. `previous`:
   * keys being rotated out (SECRETS_KEY_PREVIOUS), which only open what they sealed.
   */
  constructor(secret: Secret, previous: readonly Secret[] = []) {
    this.#current = deriveKey(secret);
    this.#keys = new Map([...previous.map(deriveKey), this.#current].map((k) => [k.id, k.bytes]));
  }

  /** The id of the key new values are sealed under (the prefix `sealed:v1:<id>:` of each). */
  get keyId(): string {
    return this.#current.id;
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv('aes-256-gcm', this.#current.bytes, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${sealedPrefix(this.#current.id)}${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** The plain value of `stored`; a value that was never sealed (written before sealing) as it is. */
  open(stored: string, context: string): string {
    if (!isSealed(stored)) return stored;
    const [keyId, payload] = stored.slice(prefix.length).split(':');
    const key = this.#keys.get(keyId ?? '');
    if (!key) {
      throw new Error(
        `a stored secret was sealed under another SECRETS_KEY (key id ${keyId}); when rotating, set the old key as SECRETS_KEY_PREVIOUS`,
      );
    }
    const bytes = Buffer.from(payload ?? '', 'base64url');
    if (bytes.length < ivBytes + tagBytes) throw new Error('a sealed secret is malformed');
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, ivBytes));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - tagBytes));
    try {
      const body = bytes.subarray(ivBytes, bytes.length - tagBytes);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      // Never the value itself: only that it does not belong where it was found.
      throw new Error(`a sealed secret failed authentication for ${context}`);
    }
  }
}

/** What each sealed value is bound to: its row, so it opens there and nowhere else. */
export const sealingContext = {
  /** An operator's TOTP seed (users.totp_secret, console_challenges.enrolling_secret). */
  totp: (userId: string) => `totp:${userId}`,
  /** A merchant webhook endpoint's signing secret (webhook_endpoints.secret). */
  webhook: (endpointId: string) => `webhook:${endpointId}`,
} as const;

export function isSealed(stored: string): boolean {
  return stored.startsWith(prefix);
}

/** The prefix of every value sealed under the key with this id. */
export function sealedPrefix(keyId: string): string {
  return `${prefix}${keyId}:`;
}
