import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { listTransactions, walletView } from '../../wallets/index.ts';
import type { ApiServices } from '../context.ts';
import { merchantOf, userIdOf } from '../plugins/auth.ts';
import { errors, list, Timestamp } from '../schemas.ts';

const MerchantSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('merchant'),
    name: Type.String(),
    email: Type.Union([Type.String(), Type.Null()]),
    created_at: Timestamp,
  },
  { $id: 'Merchant' },
);

const ApiKeySchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('api_key'),
    mode: Type.Union([Type.Literal('test'), Type.Literal('live')]),
    last4: Type.String(),
    created_at: Timestamp,
    last_used_at: Type.Union([Timestamp, Type.Null()]),
    revoked_at: Type.Union([Timestamp, Type.Null()]),
    secret: Type.Optional(
      Type.String({ description: 'Only in the answer that creates the key: store it now.' }),
    ),
  },
  { $id: 'ApiKey' },
);

export const merchantSchemas = [MerchantSchema, ApiKeySchema];

const admin = { access: 'operator' as const, roles: ['admin'] as const };
const MerchantParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

export const merchantRoutes = (services: ApiServices): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    app.post(
      '/v1/merchants',
      {
        config: admin,
        schema: {
          tags: ['merchants'],
          summary: 'Create a merchant (operators with role admin)',
          body: Type.Object(
            {
              name: Type.String({ minLength: 1, maxLength: 200 }),
              email: Type.Optional(Type.String({ maxLength: 254 })),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('Merchant'), ...errors(400, 401, 403, 409, 422, 429) },
        },
      },
      async (request, reply) => {
        const merchant = await services.merchants.create({ ...request.body, createdBy: userIdOf(request) });
        request.audit = { object: merchant.id, after: merchant };
        return reply.code(201).send(merchant);
      },
    );

    app.post(
      '/v1/merchants/:id/api_keys',
      {
        // The answer holds the key itself, so it is never stored for idempotent replay.
        config: { ...admin, idempotent: false },
        schema: {
          tags: ['merchants'],
          summary: 'Create an API key; its secret is shown in this answer only',
          params: MerchantParams,
          body: Type.Object(
            { mode: Type.Union([Type.Literal('test'), Type.Literal('live')]) },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('ApiKey'), ...errors(400, 401, 403, 404, 429) },
        },
      },
      async (request, reply) => {
        const key = await services.merchants.createKey(request.params.id, request.body.mode);
        request.audit = {
          object: key.id,
          after: { merchant: request.params.id, mode: key.mode, last4: key.last4 },
        };
        return reply.code(201).send(key);
      },
    );

    app.get(
      '/v1/merchants/:id/api_keys',
      {
        config: admin,
        schema: {
          tags: ['merchants'],
          summary: "A merchant's API keys (never their secrets)",
          params: MerchantParams,
          response: { 200: list(Type.Ref('ApiKey')), ...errors(401, 403, 404, 429) },
        },
      },
      async (request) => ({
        object: 'list' as const,
        data: await services.merchants.listKeys(request.params.id),
        has_more: false,
      }),
    );

    app.delete(
      '/v1/merchants/:id/api_keys/:key_id',
      {
        config: admin,
        schema: {
          tags: ['merchants'],
          summary: 'Revoke an API key (at once, for good)',
          params: Type.Object({ id: Type.String({ maxLength: 64 }), key_id: Type.String({ maxLength: 64 }) }),
          response: { 200: Type.Ref('ApiKey'), ...errors(401, 403, 404, 429) },
        },
      },
      async (request) => {
        const key = await services.merchants.revokeKey(request.params.id, request.params.key_id);
        request.audit = { object: key.id, after: { revoked_at: key.revoked_at } };
        return key;
      },
    );

    app.get(
      '/v1/balance',
      {
        config: { access: 'merchant' },
        schema: {
          tags: ['merchants'],
          summary: "Your merchant balances in the key's mode (test or live)",
          response: { 200: list(Type.Ref('Wallet')), ...errors(401, 429) },
        },
      },
      async (request) => {
        const { merchantId, mode } = merchantOf(request);
        const ids = await services.merchants.accountIds(merchantId, mode);
        const accounts = await services.ledger.getAccounts(ids);
        const data = [...accounts.values()]
          .sort((a, b) => a.currency.localeCompare(b.currency))
          .map((a) => walletView(a.id, a.currency, a));
        return { object: 'list' as const, data, has_more: false };
      },
    );

    app.get(
      '/v1/balance/transactions',
      {
        config: { access: 'merchant' },
        schema: {
          tags: ['merchants'],
          summary: "Movements of your merchant balances in the key's mode, newest first",
          querystring: Type.Object(
            {
              limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
              starting_after: Type.Optional(Type.String({ maxLength: 100 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: list(Type.Ref('Transaction')), ...errors(400, 401, 429) },
        },
      },
      async (request) => {
        const { merchantId, mode } = merchantOf(request);
        const ids = await services.merchants.accountIds(merchantId, mode);
        const page = await listTransactions(services.pool, ids, {
          limit: request.query.limit,
          startingAfter: request.query.starting_after,
        });
        return { object: 'list' as const, ...page };
      },
    );
  };
