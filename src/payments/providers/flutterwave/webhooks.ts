/**
 * Flutterwave webhooks. The v3 proof is `verif-hash`: the dashboard's secret hash, verbatim, which
 * says who sent the request but not what it says. Newer deliveries add `flutterwave-signature`,
 * base64(HMAC-SHA256(secret hash, raw body)), which does bind the body: when present it must match.
 * Either way every event asks the engine to confirm by id (`GET /v3/transactions/{id}/verify`) before
 * money moves, as Flutterwave's own docs require.
 */
import { createHmac } from 'node:crypto';
import { sameSecret } from '../../../shared/hash.ts';
import type { Secret } from '../../../shared/secret.ts';
import { type WebhookEvent, type WebhookRequest, WebhookVerificationError } from '../provider.ts';
import {
  amountFromWire,
  chargeFailure,
  chargeStatus,
  transferFailure,
  transferStatus,
  webhookEventId,
} from './transformers.ts';
import { type FlwWebhook, signatureHeader, verifHashHeader } from './wire.ts';

/** base64(HMAC-SHA256(secret hash, raw body)): what `flutterwave-signature` carries. */
export function flutterwaveSignature(secretHash: string, rawBody: Buffer | string): string {
  return createHmac('sha256', secretHash).update(rawBody).digest('base64');
}

export function verifyWebhook(secretHash: Secret | undefined, request: WebhookRequest): void {
  const presented = request.headers[verifHashHeader];
  if (presented === undefined || presented.length === 0) {
    throw new WebhookVerificationError('signature_missing', 'the verif-hash header is missing');
  }
  if (secretHash === undefined) {
    // Without a configured hash nothing can be authentic: refuse rather than trust.
    throw new WebhookVerificationError('signature_invalid', 'FLUTTERWAVE_WEBHOOK_HASH is not configured');
  }
  const expected = secretHash.reveal();
  if (!sameSecret(presented, expected)) {
    throw new WebhookVerificationError('signature_invalid', 'the verif-hash header does not match');
  }
  const signature = request.headers[signatureHeader];
  if (signature !== undefined && !sameSecret(signature, flutterwaveSignature(expected, request.rawBody))) {
    throw new WebhookVerificationError(
      'signature_invalid',
      'the flutterwave-signature header does not match the body',
    );
  }
}

function malformed(why: string): WebhookVerificationError {
  return new WebhookVerificationError('malformed', `malformed Flutterwave webhook: ${why}`);
}

function parseBody(rawBody: Buffer): FlwWebhook {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw malformed('not JSON');
  }
  if (typeof body !== 'object' || body === null) throw malformed('not an object');
  const data = (body as { data?: unknown }).data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw malformed('no data object');
  return body as FlwWebhook;
}

/** The event name; older deliveries only say `event.type`. */
function eventName(body: FlwWebhook): string {
  if (typeof body.event === 'string') return body.event;
  const type = body['event.type'];
  if (type === 'Transfer') return 'transfer.completed';
  if (typeof type === 'string' && type.endsWith('_TRANSACTION')) return 'charge.completed';
  throw malformed('no event name');
}

function stringField(data: Record<string, unknown>, name: string): string {
  const value = data[name];
  if (typeof value !== 'string' || value.length === 0) throw malformed(`data.${name} is missing`);
  return value;
}

function idField(data: Record<string, unknown>): string {
  const value = data.id;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string' && /^[0-9]+$/.test(value)) return value;
  throw malformed('data.id is missing');
}

function amountOf(data: Record<string, unknown>, currency: string): bigint {
  try {
    return amountFromWire(data.amount, currency);
  } catch (error) {
    throw malformed(`data.amount: ${(error as Error).message}`);
  }
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function chargeEvent(event: string, data: Record<string, unknown>): WebhookEvent {
  const id = idField(data);
  const rawStatus = stringField(data, 'status');
  const currency = stringField(data, 'currency');
  const status = chargeStatus(rawStatus);
  const processorResponse = optionalString(data.processor_response);
  return {
    eventId: webhookEventId(event, id, rawStatus),
    kind: 'collection',
    reference: stringField(data, 'tx_ref'),
    providerId: id,
    status,
    amountMinor: amountOf(data, currency),
    currency,
    ...(status === 'failed' ? { failure: chargeFailure(processorResponse, rawStatus) } : {}),
    ...(optionalString(data.flw_ref) ? { receipt: optionalString(data.flw_ref) } : {}),
    requiresConfirmation: true,
  };
}

function transferEvent(event: string, data: Record<string, unknown>): WebhookEvent {
  const id = idField(data);
  const rawStatus = stringField(data, 'status');
  const currency = stringField(data, 'currency');
  const status = transferStatus(rawStatus);
  return {
    eventId: webhookEventId(event, id, rawStatus),
    kind: 'payout',
    reference: stringField(data, 'reference'),
    providerId: id,
    status,
    amountMinor: amountOf(data, currency),
    currency,
    ...(status === 'failed' ? { failure: transferFailure(optionalString(data.complete_message)) } : {}),
    requiresConfirmation: true,
  };
}

export function parseWebhook(request: WebhookRequest): WebhookEvent[] {
  const body = parseBody(request.rawBody);
  const event = eventName(body);
  switch (event) {
    case 'charge.completed':
      return [chargeEvent(event, body.data)];
    case 'transfer.completed':
      return [transferEvent(event, body.data)];
    default: {
      // Subscription, refund and other events are kept by the engine but settle nothing here.
      const id = body.data.id;
      return [
        {
          eventId: webhookEventId(
            event,
            typeof id === 'number' || typeof id === 'string' ? id : 'none',
            'received',
          ),
          kind: event.startsWith('refund') ? 'refund' : 'other',
          status: 'pending',
          requiresConfirmation: true,
        },
      ];
    }
  }
}
