import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { merchantEventTypes } from '../../merchants/index.ts';
import type { ApiServices } from '../context.ts';
import { merchantOf } from '../plugins/auth.ts';
import { errors, list, pageOf, Timestamp } from '../schemas.ts';

const EndpointSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('webhook_endpoint'),
    url: Type.String(),
    mode: Type.Union([Type.Literal('test'), Type.Literal('live')]),
    events: Type.Array(Type.String()),
    created_at: Timestamp,
    secret: Type.Optional(
      Type.String({ description: 'Only in the answer that creates the endpoint: it signs every delivery.' }),
    ),
  },
  { $id: 'WebhookEndpoint' },
);

const DeliverySchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('webhook_delivery'),
    endpoint_id: Type.String(),
    event_id: Type.String(),
    event_type: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
    attempts: Type.Integer(),
    last_status: Type.Union([Type.Integer(), Type.Null()]),
    last_error: Type.Union([Type.String(), Type.Null()]),
    last_attempt_at: Type.Union([Timestamp, Type.Null()]),
    delivered_at: Type.Union([Timestamp, Type.Null()]),
    created_at: Timestamp,
  },
  { $id: 'WebhookDelivery' },
);

export const merchantWebhookSchemas = [EndpointSchema, DeliverySchema];
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

/**
 * A merchant's webhook endpoints and their delivery log. Each delivery is signed
 * `ChatPay-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>` and retried with backoff
 * for about three days.
 */
export const merchantWebhookRoutes = (
  services: ApiServices,
  options: { httpsOnly: boolean },
): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    app.post(
      '/v1/webhook_endpoints',
      {
        config: { access: 'merchant' },
        schema: {
          tags: ['merchant webhooks'],
          summary: 'Register an endpoint for events in this key’s mode',
          body: Type.Object(
            {
              url: Type.String({ maxLength: 2048, pattern: options.httpsOnly ? '^https://' : '^https?://' }),
              events: Type.Optional(
                Type.Array(Type.Union(merchantEventTypes.map((e) => Type.Literal(e))), {
                  minItems: 1,
                  uniqueItems: true,
                }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('WebhookEndpoint'), ...errors(400, 401, 409, 422, 429) },
        },
      },
      async (request, reply) => {
        const { merchantId, mode } = merchantOf(request);
        const endpoint = await services.merchantWebhooks.createEndpoint(merchantId, mode, request.body);
        request.audit = { object: endpoint.id, after: { url: endpoint.url, events: endpoint.events } };
        return reply.code(201).send(endpoint);
      },
    );

    app.get(
      '/v1/webhook_endpoints',
      {
        config: { access: 'merchant' },
        schema: {
          tags: ['merchant webhooks'],
          summary: 'Your endpoints in this key’s mode',
          response: { 200: list(Type.Ref('WebhookEndpoint')), ...errors(401, 429) },
        },
      },
      async (request) => {
        const { merchantId, mode } = merchantOf(request);
        const data = await services.merchantWebhooks.listEndpoints(merchantId, mode);
        return { object: 'list' as const, data, has_more: false };
      },
    );

    app.delete(
      '/v1/webhook_endpoints/:id',
      {
        config: { access: 'merchant' },
        schema: {
          tags: ['merchant webhooks'],
          summary: 'Stop sending events to an endpoint',
          params: IdParams,
          response: { 200: Type.Ref('WebhookEndpoint'), ...errors(401, 404, 429) },
        },
      },
      async (request) => {
        const { merchantId, mode } = merchantOf(request);
        return services.merchantWebhooks.disableEndpoint(merchantId, mode, request.params.id);
      },
    );

    app.get(
      '/v1/webhook_endpoints/:id/deliveries',
      {
        config: { access: 'merchant' },
        schema: {
          tags: ['merchant webhooks'],
          summary: 'The delivery log of an endpoint, newest first',
          params: IdParams,
          querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) }),
          response: { 200: list(Type.Ref('WebhookDelivery')), ...errors(400, 401, 429) },
        },
      },
      async (request) => {
        const { merchantId, mode } = merchantOf(request);
        const rows = await services.merchantWebhooks.listDeliveries(
          merchantId,
          mode,
          request.params.id,
          request.query.limit + 1,
        );
        return pageOf(rows, request.query.limit, (d) => d);
      },
    );

    app.post(
      '/v1/webhook_deliveries/:id/replay',
      {
        config: { access: 'merchant' },
        schema: {
          tags: ['merchant webhooks'],
          summary: 'Send a delivery again (same event id and body)',
          params: IdParams,
          body: Type.Object({}, { additionalProperties: false }),
          response: { 200: Type.Ref('WebhookDelivery'), ...errors(400, 401, 404, 409, 422, 429) },
        },
      },
      async (request) => {
        const { merchantId, mode } = merchantOf(request);
        return services.merchantWebhooks.replay(merchantId, mode, request.params.id);
      },
    );
  };
