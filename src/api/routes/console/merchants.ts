import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Pool } from '../../../db/pool.ts';
import type { KeyMode } from '../../../merchants/index.ts';
import { ChatPayError } from '../../../shared/errors.ts';
import type { ApiServices } from '../../context.ts';
import { errors, list, pageOf, Timestamp } from '../../schemas.ts';

const anyOperator = { access: 'operator' as const };
const admin = { access: 'operator' as const, roles: ['admin'] as const };
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const Mode = Type.Union([Type.Literal('test'), Type.Literal('live')]);

const EndpointSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('webhook_endpoint'),
  url: Type.String(),
  mode: Mode,
  events: Type.Array(Type.String()),
  created_at: Timestamp,
  disabled_at: Type.Union([Timestamp, Type.Null()]),
});

const MerchantDetailSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('merchant'),
  name: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  created_at: Timestamp,
  api_keys: Type.Array(Type.Ref('ApiKey'), { description: 'Never their secrets.' }),
  webhook_endpoints: Type.Array(EndpointSchema, { description: 'Disabled ones too; never their secrets.' }),
});

interface MerchantRow {
  id: string;
  name: string;
  email: string | null;
  created_at: Date;
}

const merchantView = (row: MerchantRow) => ({
  id: row.id,
  object: 'merchant' as const,
  name: row.name,
  email: row.email,
  created_at: row.created_at.toISOString(),
});

/** Merchants, newest first (ids sort by creation time). */
async function listMerchants(pool: Pool, limit: number, startingAfter: string | undefined) {
  const { rows } = await pool.query<MerchantRow>(
    `SELECT id, name, email, created_at FROM merchants WHERE ($1::text IS NULL OR id < $1)
      ORDER BY id DESC LIMIT $2`,
    [startingAfter ?? null, limit],
  );
  return rows;
}

async function merchantDetail(services: ApiServices, id: string) {
  const { rows } = await services.pool.query<MerchantRow>(
    'SELECT id, name, email, created_at FROM merchants WHERE id = $1',
    [id],
  );
  if (!rows[0]) throw new ChatPayError('merchant_not_found');
  const [keys, endpoints] = await Promise.all([
    services.merchants.listKeys(id),
    services.pool.query<{
      id: string;
      url: string;
      mode: KeyMode;
      events: string[];
      created_at: Date;
      disabled_at: Date | null;
    }>(
      `SELECT id, url, mode, events, created_at, disabled_at FROM webhook_endpoints WHERE merchant_id = $1
        ORDER BY created_at`,
      [id],
    ),
  ]);
  return {
    ...merchantView(rows[0]),
    api_keys: keys,
    webhook_endpoints: endpoints.rows.map((e) => ({
      ...e,
      object: 'webhook_endpoint' as const,
      created_at: e.created_at.toISOString(),
      disabled_at: e.disabled_at?.toISOString() ?? null,
    })),
  };
}

/** The merchant and mode an endpoint (or a delivery's endpoint) belongs to, to call the service as them. */
async function ownerOf(
  pool: Pool,
  by: { endpointId: string } | { deliveryId: string },
): Promise<{ merchantId: string; mode: KeyMode } | undefined> {
  const { rows } = await pool.query<{ merchant_id: string; mode: KeyMode }>(
    'endpointId' in by
      ? 'SELECT merchant_id, mode FROM webhook_endpoints WHERE id = $1'
      : `SELECT e.merchant_id, e.mode FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
          WHERE d.id = $1`,
    ['endpointId' in by ? by.endpointId : by.deliveryId],
  );
  return rows[0] && { merchantId: rows[0].merchant_id, mode: rows[0].mode };
}

/** Merchants as operators see them: every merchant, its keys and endpoints, and the delivery logs. */
export const consoleMerchantRoutes = (services: ApiServices): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    app.get(
      '/v1/operator/merchants',
      {
        config: anyOperator,
        schema: {
          tags: ['console'],
          summary: 'Merchants, newest first',
          querystring: Type.Object(
            {
              limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
              starting_after: Type.Optional(Type.String({ maxLength: 64 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: list(Type.Ref('Merchant')), ...errors(400, 401, 403, 429) },
        },
      },
      async (request) => {
        const { limit, starting_after } = request.query;
        return pageOf(await listMerchants(services.pool, limit + 1, starting_after), limit, merchantView);
      },
    );

    app.get(
      '/v1/operator/merchants/:id',
      {
        config: anyOperator,
        schema: {
          tags: ['console'],
          summary: 'One merchant with its API keys and webhook endpoints (no secrets)',
          params: IdParams,
          response: { 200: MerchantDetailSchema, ...errors(401, 403, 404, 429) },
        },
      },
      async (request) => merchantDetail(services, request.params.id),
    );

    app.get(
      '/v1/operator/webhook_endpoints/:id/deliveries',
      {
        config: anyOperator,
        schema: {
          tags: ['console'],
          summary: 'The delivery log of any merchant’s webhook endpoint, newest first',
          params: IdParams,
          querystring: Type.Object(
            { limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) },
            { additionalProperties: false },
          ),
          response: { 200: list(Type.Ref('WebhookDelivery')), ...errors(400, 401, 403, 404, 429) },
        },
      },
      async (request) => {
        const owner = await ownerOf(services.pool, { endpointId: request.params.id });
        if (!owner) throw new ChatPayError('webhook_endpoint_not_found');
        const { limit } = request.query;
        const rows = await services.merchantWebhooks.listDeliveries(
          owner.merchantId,
          owner.mode,
          request.params.id,
          limit + 1,
        );
        return pageOf(rows, limit, (d) => d);
      },
    );

    app.post(
      '/v1/operator/webhook_deliveries/:id/replay',
      {
        config: admin,
        schema: {
          tags: ['console'],
          summary: 'Send a merchant’s webhook delivery again, same event id and body (admin)',
          params: IdParams,
          body: Type.Object({}, { additionalProperties: false }),
          response: { 200: Type.Ref('WebhookDelivery'), ...errors(400, 401, 403, 404, 409, 422, 429) },
        },
      },
      async (request) => {
        const owner = await ownerOf(services.pool, { deliveryId: request.params.id });
        if (!owner) throw new ChatPayError('webhook_delivery_not_found');
        const delivery = await services.merchantWebhooks.replay(
          owner.merchantId,
          owner.mode,
          request.params.id,
        );
        request.audit = {
          object: delivery.id,
          after: { status: delivery.status, merchant: owner.merchantId },
        };
        return delivery;
      },
    );
  };
