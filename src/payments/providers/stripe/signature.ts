/**
 * Stripe's webhook signature: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…][,v0=…]` where
 * v1 = HMAC-SHA256(secret, `${t}.${rawBody}`). Several v1 values appear while a secret is being
 * rolled; any match passes. The body is signed as raw bytes, so nothing here re-serialises JSON.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookVerificationError } from '../provider.ts';

/** Stripe's default tolerance. We apply it both ways: a timestamp from the future is as suspect as a stale one. */
export const signatureToleranceSeconds = 300;

/** Bounds on the header so a hostile sender cannot make us hash forever. */
const headerCharsMax = 4_096;
const signaturesMax = 16;

export function computeSignature(secret: string, timestamp: number, rawBody: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(rawBody).digest();
}

/** The header Stripe would send for `rawBody` at `timestamp` (the sandbox signs its webhooks with it). */
export function signatureHeader(secret: string, rawBody: Buffer | string, timestamp: number): string {
  return `t=${timestamp},v1=${computeSignature(secret, timestamp, rawBody).toString('hex')}`;
}

interface ParsedHeader {
  readonly timestamp: number;
  readonly signatures: readonly Buffer[];
}

function parseHeader(header: string): ParsedHeader {
  if (header.length > headerCharsMax)
    throw new WebhookVerificationError('malformed', 'Stripe-Signature is too long');
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const equals = part.indexOf('=');
    if (equals < 0) continue;
    const name = part.slice(0, equals).trim();
    const value = part.slice(equals + 1).trim();
    if (name === 't' && /^[0-9]{1,12}$/.test(value)) timestamp = Number(value);
    // A v1 that is not 64 hex digits can never match: it is skipped, not compared.
    else if (name === 'v1' && /^[0-9a-fA-F]{64}$/.test(value) && signatures.length < signaturesMax) {
      signatures.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestamp === undefined) {
    throw new WebhookVerificationError('malformed', 'Stripe-Signature has no timestamp');
  }
  if (signatures.length === 0) {
    throw new WebhookVerificationError('signature_missing', 'Stripe-Signature has no v1 signature');
  }
  return { timestamp, signatures };
}

/**
 * Throws `WebhookVerificationError` unless one v1 signature matches and the timestamp is within
 * `toleranceSeconds` of `nowSeconds` either way.
 */
export function verifySignature(
  header: string | undefined,
  rawBody: Buffer,
  secret: string,
  nowSeconds: number,
  toleranceSeconds = signatureToleranceSeconds,
): void {
  if (!header) throw new WebhookVerificationError('signature_missing', 'no Stripe-Signature header');
  const { timestamp, signatures } = parseHeader(header);
  const expected = computeSignature(secret, timestamp, rawBody);
  let matched = false;
  // Every candidate is compared (no early exit), each in constant time on equal-length digests.
  for (const candidate of signatures) {
    if (timingSafeEqual(candidate, expected)) matched = true;
  }
  if (!matched)
    throw new WebhookVerificationError('signature_invalid', 'no Stripe-Signature v1 matches the body');
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
    throw new WebhookVerificationError(
      'timestamp_out_of_tolerance',
      'Stripe-Signature timestamp is outside the tolerance',
    );
  }
}
