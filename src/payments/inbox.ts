/**
 * The webhook inbox. Receiving: verify (constant-time, inside each adapter), store the raw event with
 * its provider event id — unique, so a redelivery is stored once — and enqueue its application in the
 * same statement; then answer at once. Applying (a job): find the payment, confirm with the provider
 * when the event is unsigned, and settle. Events that fail verification are stored too, as security
 * events, and change nothing.
 */
import { ChatPayError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import type { Logger } from '../shared/logger.ts';
import type { PaymentsContext } from './context.ts';
import {
  type ProviderId,
  type WebhookEvent,
  type WebhookReply,
  type WebhookRequest,
  WebhookVerificationError,
} from './providers/provider.ts';
import { findPayment, type PaymentRecord, type PaymentRow, paymentColumns, toRecord } from './records.ts';
import { type Outcome, type SettleResult, settle } from './settle.ts';

/** Headers worth keeping with an event: what identifies and proves it, nothing that grants access. */
const keptHeaders = [
  'content-type',
  'user-agent',
  'stripe-signature',
  'x-chapa-signature',
  'chapa-signature',
  'verif-hash',
  'flutterwave-signature',
];

export interface ReceiveResult {
  readonly reply: WebhookReply;
  /** Events newly stored (a redelivery stores none). */
  readonly stored: number;
}

export async function receiveWebhook(
  ctx: PaymentsContext,
  providerId: string,
  request: WebhookRequest,
  ip: string | undefined,
  logger: Logger = ctx.logger,
): Promise<ReceiveResult> {
  const provider = ctx.gateway.find(providerId);
  if (!provider) throw new ChatPayError('route_not_found');
  const headers = JSON.stringify(
    Object.fromEntries(keptHeaders.filter((h) => request.headers[h]).map((h) => [h, request.headers[h]])),
  );
  const body = request.rawBody.toString('utf8');
  let events: WebhookEvent[];
  try {
    provider.verifyWebhook(request);
    events = provider.parseWebhook(request);
  } catch (error) {
    if (!(error instanceof WebhookVerificationError)) throw error;
    await ctx.pool.query(
      `INSERT INTO webhook_events (id, provider, event_id, verified, verification_error, headers, body, ip)
       VALUES ($1, $2, NULL, false, $3, $4, $5, $6)`,
      [newId('whe'), provider.id, error.reason, headers, body, ip ?? null],
    );
    logger.warn({ security: true, provider: provider.id, reason: error.reason, ip }, 'webhook rejected');
    throw new ChatPayError(error.reason === 'malformed' ? 'webhook_malformed' : 'webhook_signature_invalid');
  }
  const results = await Promise.all(
    events.map((event) =>
      ctx.inbox.store({
        id: newId('whe'),
        provider: provider.id,
        eventId: event.eventId,
        headers,
        body,
        ip: ip ?? null,
      }),
    ),
  );
  const stored = results.filter(Boolean).length;
  return { reply: provider.webhookReply, stored };
}

interface EventRow {
  id: string;
  provider: ProviderId;
  event_id: string;
  headers: Record<string, string>;
  body: string;
  received_at: Date;
  processed_at: Date | null;
}

/** An event whose payment is not recorded yet is retried this long (a callback racing its request). */
const unmatchedRetryMs = 10 * 60_000;

/** The `webhook_apply` job. Throws to be retried (provider unreachable, payment not yet recorded). */
export async function applyWebhook(
  ctx: PaymentsContext,
  eventRowId: string,
): Promise<SettleResult | 'unmatched' | 'ignored' | 'done'> {
  const { rows } = await ctx.pool.query<EventRow>(
    `SELECT id, provider, event_id, headers, body, received_at, processed_at FROM webhook_events
      WHERE id = $1 AND verified`,
    [eventRowId],
  );
  const row = rows[0];
  if (!row || row.processed_at) return 'done';
  const provider = ctx.gateway.find(row.provider);
  if (!provider) throw new Error(`webhook ${row.id}: provider ${row.provider} is not enabled`);
  const request = { headers: row.headers, rawBody: Buffer.from(row.body, 'utf8') };
  const event = provider.parseWebhook(request).find((e) => e.eventId === row.event_id);
  if (!event) return record(ctx, row.id, 'ignored', null);
  if (event.kind !== 'collection' && event.kind !== 'payout') return record(ctx, row.id, 'ignored', null);
  const payment = await paymentFor(ctx, row.provider, event);
  if (!payment) {
    if (Date.now() - row.received_at.getTime() < unmatchedRetryMs) {
      throw new Error(`webhook ${row.id}: no payment matches it yet`);
    }
    return record(ctx, row.id, 'unmatched', null);
  }
  const outcome = event.requiresConfirmation ? await confirm(ctx, payment, event) : outcomeOf(event);
  const result = await settle(ctx, payment, outcome);
  return record(ctx, row.id, result, payment.id);
}

async function paymentFor(
  ctx: PaymentsContext,
  provider: ProviderId,
  event: WebhookEvent,
): Promise<PaymentRecord | undefined> {
  if (event.providerId) {
    const { rows } = await ctx.pool.query<PaymentRow>({
      name: 'payments_by_provider_id',
      text: `SELECT ${paymentColumns} FROM payments WHERE provider = $1 AND provider_id = $2`,
      values: [provider, event.providerId],
    });
    if (rows[0]) return toRecord(rows[0]);
  }
  if (event.reference) {
    const payment = await findPayment(ctx.pool, event.reference);
    if (payment?.provider === provider) return payment;
  }
  return undefined;
}

function outcomeOf(event: WebhookEvent): Outcome {
  return {
    status: event.status,
    amountMinor: event.amountMinor,
    currency: event.currency,
    reference: event.reference,
    failure: event.failure,
    receipt: event.receipt,
  };
}

/** An unsigned event moves no money on its own word: the provider's status query decides. */
async function confirm(ctx: PaymentsContext, payment: PaymentRecord, event: WebhookEvent): Promise<Outcome> {
  const status = await ctx.gateway.call(
    payment.provider,
    (provider, signal) =>
      provider.getStatus(
        {
          kind: payment.kind === 'withdrawal' ? 'payout' : 'collection',
          reference: payment.id,
          providerId: payment.providerId ?? event.providerId ?? null,
        },
        signal,
      ),
    { idempotent: true },
  );
  // The status query decides what happened. What it doesn't say, the callback (which reached our
  // secret URL) does: M-Pesa's STK query has no amount, its callback's CallbackMetadata has.
  return {
    status: status.status,
    amountMinor: status.amountMinor ?? event.amountMinor,
    currency: status.currency ?? event.currency,
    reference: status.reference,
    // The callback often says more precisely why.
    failure:
      status.status === 'failed' && event.status === 'failed'
        ? (event.failure ?? status.failure)
        : status.failure,
    receipt: status.receipt ?? event.receipt,
  };
}

async function record<T extends string>(
  ctx: PaymentsContext,
  id: string,
  result: T,
  paymentId: string | null,
): Promise<T> {
  await ctx.pool.query(
    `UPDATE webhook_events SET processed_at = now(), result = $2, payment_id = $3 WHERE id = $1`,
    [id, result, paymentId],
  );
  return result;
}

export interface WebhookEventRow {
  id: string;
  provider: string;
  event_id: string | null;
  verified: boolean;
  verification_error: string | null;
  result: string | null;
  payment_id: string | null;
  body: string;
  received_at: Date;
  processed_at: Date | null;
}

/** Inbound webhooks as received, newest first, with their verification result (operators). */
export async function listWebhookEvents(
  ctx: PaymentsContext,
  filter: { provider?: string | undefined; verified?: boolean | undefined; limit: number },
): Promise<WebhookEventRow[]> {
  const { rows } = await ctx.pool.query<WebhookEventRow>(
    `SELECT id, provider, event_id, verified, verification_error, result, payment_id, body, received_at, processed_at
       FROM webhook_events WHERE ($1::text IS NULL OR provider = $1) AND ($2::boolean IS NULL OR verified = $2)
      ORDER BY received_at DESC LIMIT $3`,
    [filter.provider ?? null, filter.verified ?? null, filter.limit],
  );
  return rows;
}
