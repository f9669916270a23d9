/**
 * Webhooks to merchants. A merchant registers endpoints (per mode) and the events it wants; each
 * event becomes one delivery per endpoint, written in the same transaction as the change it reports
 * (with its job), then POSTed by the worker with `ChatPay-Signature: t=<unix>,v1=<hex HMAC-SHA256(
 * secret, t + "." + body)>`. A delivery that fails is retried with exponential backoff for about
 * three days; the deliveries table is the log, and any delivery can be replayed.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { enqueue } from '../db/jobs.ts';
import type { Pool, PoolClient } from '../db/pool.ts';
import { ChatPayError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import {
  anyLookup,
  NonPublicAddressError,
  nonPublicHost,
  publicOnlyLookup,
  type Resolve,
  systemResolve,
} from '../shared/public-address.ts';
import { type SecretBox, sealingContext } from '../shared/sealed.ts';
import type { KeyMode } from './merchants.ts';

export const merchantEventTypes = [
  'payment.succeeded',
  'payment.failed',
  'payment.refunded',
  'payout.succeeded',
  'payout.failed',
] as const;
export type MerchantEventType = (typeof merchantEventTypes)[number];

/**
 * graphile-worker waits e^min(attempt, 10) seconds before retry `attempt`: twenty attempts span
 * about 2.95 days (9.7 hours to reach the cap, then 6.1 hours apart).
 */
export const deliveryAttemptsMax = 20;
const deliveryTimeoutMs = 10_000;
const responseExcerptMax = 300;

export interface EndpointView {
  readonly id: string;
  readonly object: 'webhook_endpoint';
  readonly url: string;
  readonly mode: KeyMode;
  readonly events: readonly string[];
  readonly created_at: string;
  /** Only in the answer that creates the endpoint. */
  readonly secret?: string;
}

export interface DeliveryView {
  readonly id: string;
  readonly object: 'webhook_delivery';
  readonly endpoint_id: string;
  readonly event_id: string;
  readonly event_type: string;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly last_status: number | null;
  readonly last_error: string | null;
  readonly last_attempt_at: string | null;
  readonly delivered_at: string | null;
  readonly created_at: string;
}

/** `t=<unix>,v1=<hex>`: the scheme Stripe made familiar, so merchants' existing code fits. */
export function signDelivery(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * Adds the deliveries of one event (to every enabled endpoint of the merchant and mode that wants
 * it) and their jobs, on `client` inside the caller's transaction.
 */
export async function enqueueMerchantEvent(
  client: PoolClient,
  event: { merchantId: string; mode: KeyMode; type: MerchantEventType; data: unknown },
): Promise<number> {
  const id = newId('evt');
  const payload = JSON.stringify({
    id,
    object: 'event',
    type: event.type,
    created: Math.floor(Date.now() / 1000),
    livemode: event.mode === 'live',
    data: { object: event.data },
  });
  const { rows } = await client.query<{ id: string }>(
    `WITH made AS (
       INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, payload, status)
       SELECT 'whd_' || md5(e.id || $3), e.id, $3, $4, $5, 'pending' FROM webhook_endpoints e
        WHERE e.merchant_id = $1 AND e.mode = $2 AND e.disabled_at IS NULL AND $4 = ANY (e.events)
       RETURNING id),
     queued AS (
       SELECT count(*) FROM graphile_worker.add_jobs(ARRAY(
         SELECT ROW('merchant_webhook_deliver', json_build_object('id', id), NULL, NULL, $6::int, 'whd:' || id,
           NULL, NULL)::graphile_worker.job_spec FROM made)))
     SELECT made.id FROM made, queued`,
    [event.merchantId, event.mode, id, event.type, payload, deliveryAttemptsMax],
  );
  return rows.length;
}

export interface MerchantWebhookOptions {
  /**
   * Endpoints on private, loopback or link-local addresses: `refuse` (production: a merchant must not
   * reach into our network) or `allow` (development and tests, whose receivers run on this machine).
   */
  readonly privateUrls: 'allow' | 'refuse';
  /** How endpoint names are resolved (default: the system's resolver). Tests give their own answers. */
  readonly resolve?: Resolve;
  /** Seals each endpoint's signing secret in the database (src/shared/sealed.ts). */
  readonly secrets: SecretBox;
}

export class MerchantWebhooks {
  readonly #pool: Pool;
  readonly #publicOnly: boolean;
  readonly #lookup: LookupFunction;
  readonly #secrets: SecretBox;

  constructor(pool: Pool, options: MerchantWebhookOptions) {
    this.#pool = pool;
    this.#secrets = options.secrets;
    this.#publicOnly = options.privateUrls === 'refuse';
    const resolve = options.resolve ?? systemResolve;
    this.#lookup = (this.#publicOnly
      ? publicOnlyLookup(resolve)
      : anyLookup(resolve)) as unknown as LookupFunction;
  }

  async createEndpoint(
    merchantId: string,
    mode: KeyMode,
    input: { url: string; events?: readonly string[] | undefined },
  ): Promise<EndpointView> {
    const events = input.events ?? merchantEventTypes;
    // The route's schema checks the scheme; a URL no client can parse would fail every delivery.
    const url = URL.parse(input.url);
    if (!url?.hostname) {
      throw new ChatPayError('validation_failed', { param: 'url', message: 'url must be an http(s) URL.' });
    }
    const refused = this.#publicOnly ? nonPublicHost(url) : undefined;
    if (refused) {
      throw new ChatPayError('webhook_url_not_allowed', {
        param: 'url',
        message: `Webhook endpoints must be on the public internet: ${refused}.`,
      });
    }
    const secret = `whsec_${randomBytes(24).toString('base64url')}`;
    const id = newId('we');
    const { rows } = await this.#pool.query<EndpointRow>(
      `INSERT INTO webhook_endpoints (id, merchant_id, mode, url, secret, events) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING id, url, mode, events, created_at`,
      [id, merchantId, mode, input.url, this.#secrets.seal(secret, sealingContext.webhook(id)), events],
    );
    return { ...endpointView(rows[0] as EndpointRow), secret };
  }

  async listEndpoints(merchantId: string, mode: KeyMode): Promise<EndpointView[]> {
    const { rows } = await this.#pool.query<EndpointRow>(
      `SELECT id, url, mode, events, created_at FROM webhook_endpoints
        WHERE merchant_id = $1 AND mode = $2 AND disabled_at IS NULL ORDER BY created_at`,
      [merchantId, mode],
    );
    return rows.map(endpointView);
  }

  async disableEndpoint(merchantId: string, mode: KeyMode, id: string): Promise<EndpointView> {
    const { rows } = await this.#pool.query<EndpointRow>(
      `UPDATE webhook_endpoints SET disabled_at = now()
        WHERE id = $1 AND merchant_id = $2 AND mode = $3 AND disabled_at IS NULL
        RETURNING id, url, mode, events, created_at`,
      [id, merchantId, mode],
    );
    if (!rows[0]) throw new ChatPayError('webhook_endpoint_not_found');
    return endpointView(rows[0]);
  }

  async listDeliveries(
    merchantId: string,
    mode: KeyMode,
    endpointId: string,
    limit: number,
  ): Promise<DeliveryView[]> {
    const { rows } = await this.#pool.query<DeliveryRow>(
      `SELECT d.* FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
        WHERE d.endpoint_id = $1 AND e.merchant_id = $2 AND e.mode = $3 ORDER BY d.created_at DESC LIMIT $4`,
      [endpointId, merchantId, mode, limit],
    );
    return rows.map(deliveryView);
  }

  /** Sends a delivery again (the same event id and body: receivers dedupe on the event id). */
  async replay(merchantId: string, mode: KeyMode, deliveryId: string): Promise<DeliveryView> {
    const { rows } = await this.#pool.query<DeliveryRow>(
      `UPDATE webhook_deliveries d SET status = 'pending', attempts = 0 FROM webhook_endpoints e
        WHERE d.id = $1 AND e.id = d.endpoint_id AND e.merchant_id = $2 AND e.mode = $3 AND e.disabled_at IS NULL
        RETURNING d.*`,
      [deliveryId, merchantId, mode],
    );
    if (!rows[0]) throw new ChatPayError('webhook_delivery_not_found');
    await enqueue(
      this.#pool,
      'merchant_webhook_deliver',
      { id: deliveryId },
      {
        jobKey: `whd:${deliveryId}:${Date.now()}`,
        maxAttempts: deliveryAttemptsMax,
      },
    );
    return deliveryView(rows[0]);
  }

  /**
   * The `merchant_webhook_deliver` job: one attempt. Throws (so the queue retries with backoff)
   * until the endpoint answers 2xx or the attempts run out; then the delivery is `failed`.
   */
  async deliver(deliveryId: string): Promise<void> {
    const { rows } = await this.#pool.query<DeliveryRow & { url: string; secret: string }>(
      `SELECT d.*, e.url, e.secret FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
        WHERE d.id = $1 AND d.status = 'pending' AND e.disabled_at IS NULL`,
      [deliveryId],
    );
    const delivery = rows[0];
    if (!delivery) return;
    const secret = this.#secrets.open(delivery.secret, sealingContext.webhook(delivery.endpoint_id));
    const outcome = await post(delivery.url, secret, delivery.payload, {
      publicOnly: this.#publicOnly,
      lookup: this.#lookup,
    });
    const attempts = delivery.attempts + 1;
    const status = outcome.ok ? 'delivered' : attempts >= deliveryAttemptsMax ? 'failed' : 'pending';
    await this.#pool.query(
      `UPDATE webhook_deliveries SET status = $2, attempts = $3, last_status = $4, last_error = $5,
         last_attempt_at = now(), delivered_at = CASE WHEN $2 = 'delivered' THEN now() END
       WHERE id = $1`,
      [deliveryId, status, attempts, outcome.status, outcome.error],
    );
    if (status === 'pending')
      throw new Error(`webhook delivery ${deliveryId}: ${outcome.error ?? outcome.status}`);
  }
}

interface Outcome {
  readonly ok: boolean;
  readonly status: number | null;
  readonly error: string | null;
}

/**
 * One signed POST. With `publicOnly`, the endpoint must be on the public internet: checked on the
 * address actually connected to (src/shared/public-address.ts), so no DNS answer can turn a
 * merchant's endpoint into a request into our own network. Redirects are not followed.
 */
function post(
  url: string,
  secret: string,
  body: string,
  connect: { readonly publicOnly: boolean; readonly lookup: LookupFunction },
): Promise<Outcome> {
  // Registration refuses URLs that don't parse; one stored by an older version fails its delivery.
  const target = URL.parse(url);
  if (!target) return Promise.resolve({ ok: false, status: null, error: 'not a URL' });
  const refused = connect.publicOnly ? nonPublicHost(target) : undefined;
  if (refused) return Promise.resolve({ ok: false, status: null, error: `refused: ${refused}` });
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Outcome>((resolve) => {
    let settled = false;
    const settle = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const request = send(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'ChatPay-Webhooks/1',
          'chatpay-signature': signDelivery(secret, Math.floor(Date.now() / 1000), body),
        },
        lookup: connect.lookup,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (text.length < responseExcerptMax) text += chunk;
        });
        response.on('end', () =>
          settle({ ok, status, error: ok ? null : `HTTP ${status}: ${text.slice(0, responseExcerptMax)}` }),
        );
        response.on('error', () => settle({ ok: false, status, error: 'connection lost' }));
      },
    );
    const timer = setTimeout(() => {
      settle({ ok: false, status: null, error: 'timed out' });
      request.destroy();
    }, deliveryTimeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error instanceof NonPublicAddressError ? `refused: ${error.message}` : 'could not connect';
      settle({ ok: false, status: null, error: reason });
    });
    request.end(body);
  });
}

interface EndpointRow {
  id: string;
  url: string;
  mode: KeyMode;
  events: string[];
  created_at: Date;
}

interface DeliveryRow {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  payload: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
}

function endpointView(row: EndpointRow): EndpointView {
  return {
    id: row.id,
    object: 'webhook_endpoint',
    url: row.url,
    mode: row.mode,
    events: row.events,
    created_at: row.created_at.toISOString(),
  };
}

function deliveryView(row: DeliveryRow): DeliveryView {
  return {
    id: row.id,
    object: 'webhook_delivery',
    endpoint_id: row.endpoint_id,
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status,
    attempts: row.attempts,
    last_status: row.last_status,
    last_error: row.last_error,
    last_attempt_at: row.last_attempt_at?.toISOString() ?? null,
    delivered_at: row.delivered_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
  };
}
