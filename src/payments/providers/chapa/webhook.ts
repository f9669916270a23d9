/**
 * Chapa webhooks: hex HMAC-SHA256(webhook secret, raw body) in `x-chapa-signature` (and the same in
 * `Chapa-Signature`), and a flat JSON body. Signing and parsing live here so the sandbox signs with
 * the very function the adapter checks against.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../../../shared/secret.ts';
import {
  type ProviderMode,
  type WebhookEvent,
  type WebhookRequest,
  WebhookVerificationError,
} from '../provider.ts';
import { fromChapaAmount, webhookEventMapping } from './transformers.ts';
import { alternateSignatureHeader, type ChapaWebhookBody, signatureHeader } from './wire.ts';

const hexDigestPattern = /^[0-9a-f]{64}$/i;

export function chapaSignature(secret: string, rawBody: Buffer | string): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

/**
 * `x-chapa-signature` is the one bound to the body; `chapa-signature` is read only when it is absent
 * (some accounts send just that one), and is then checked over the body the same way.
 */
export function verifyChapaSignature(request: WebhookRequest, secret: Secret | undefined): void {
  if (!secret) {
    throw new WebhookVerificationError(
      'signature_invalid',
      'CHAPA_WEBHOOK_SECRET is not set: cannot verify Chapa webhooks',
    );
  }
  const given = request.headers[signatureHeader] ?? request.headers[alternateSignatureHeader];
  if (!given) throw new WebhookVerificationError('signature_missing', 'no x-chapa-signature header');
  const trimmed = given.trim();
  if (!hexDigestPattern.test(trimmed)) {
    throw new WebhookVerificationError('signature_invalid', 'x-chapa-signature is not a hex SHA-256 digest');
  }
  const expected = createHmac('sha256', secret.reveal()).update(request.rawBody).digest();
  // Both are 32 bytes here (pattern above), as timingSafeEqual requires.
  if (!timingSafeEqual(Buffer.from(trimmed, 'hex'), expected)) {
    throw new WebhookVerificationError('signature_invalid', 'x-chapa-signature does not match the body');
  }
}

/** The event in a verified body. The id is `<event>:<our reference>`: a redelivery maps to it again. */
export function parseChapaWebhook(rawBody: Buffer, mode: ProviderMode): WebhookEvent[] {
  const body = parseBody(rawBody);
  const mapping = webhookEventMapping(body.event);
  const isPayout = mapping.kind === 'payout' || body.type === 'Payout';
  const reference = isPayout ? stringOrUndefined(body.reference) : stringOrUndefined(body.tx_ref);
  const providerId = isPayout ? stringOrUndefined(body.chapa_reference) : stringOrUndefined(body.reference);
  if (
    (mapping.kind === 'collection' || mapping.kind === 'payout' || mapping.kind === 'refund') &&
    !reference
  ) {
    throw new WebhookVerificationError('malformed', `${body.event} webhook without its reference`);
  }
  const currency = stringOrUndefined(body.currency);
  let amountMinor: bigint | undefined;
  if (body.amount !== undefined && body.amount !== null && currency) {
    amountMinor = fromChapaAmount(body.amount, currency);
    if (amountMinor === undefined)
      throw new WebhookVerificationError('malformed', 'webhook amount is not an amount');
  }
  // A test-mode event reaching a live account (or the reverse) must not move money: keep it as `other`.
  const crossMode = body.mode !== undefined && body.mode !== mode;
  const event: WebhookEvent = {
    eventId: `${body.event}:${reference ?? providerId ?? 'unknown'}`,
    kind: crossMode ? 'other' : mapping.kind,
    reference,
    providerId,
    status: mapping.status,
    amountMinor,
    currency,
    ...(mapping.failure ? { failure: mapping.failure } : {}),
    ...(providerId ? { receipt: providerId } : {}),
    requiresConfirmation: false,
  };
  return [event];
}

function parseBody(rawBody: Buffer): ChapaWebhookBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new WebhookVerificationError('malformed', 'webhook body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new WebhookVerificationError('malformed', 'webhook body is not an object');
  }
  const event = (parsed as { event?: unknown }).event;
  if (typeof event !== 'string' || event.length === 0) {
    throw new WebhookVerificationError('malformed', 'webhook body has no event');
  }
  return parsed as ChapaWebhookBody;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
