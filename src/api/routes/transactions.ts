import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { listTransactions } from '../../wallets/index.ts';
import type { ApiServices } from '../context.ts';
import { userIdOf } from '../plugins/auth.ts';
import { errors, list } from '../schemas.ts';

const TransactionSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('transaction'),
    type: Type.String({ description: 'Why the money moved: p2p, deposit, withdrawal, fee, …' }),
    direction: Type.Union([Type.Literal('in'), Type.Literal('out')]),
    amount: Type.String(),
    currency: Type.String(),
    counterparty: Type.Object({
      user_id: Type.Union([Type.String(), Type.Null()]),
      kind: Type.String({ description: 'wallet for another user; the platform account kind otherwise.' }),
    }),
    status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('canceled')]),
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'Transaction' },
);

export const TransactionSchemaRef = TransactionSchema;

export const transactionRoutes = (services: ApiServices): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    app.get(
      '/v1/transactions',
      {
        config: { access: 'user' },
        schema: {
          tags: ['transactions'],
          summary: 'Every movement of your wallets, newest first',
          querystring: Type.Object(
            {
              limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
              starting_after: Type.Optional(
                Type.String({ maxLength: 100, description: 'The last id of the previous page.' }),
              ),
              currency: Type.Optional(Type.String({ maxLength: 5 })),
              type: Type.Optional(Type.String({ maxLength: 64 })),
              status: Type.Optional(
                Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('canceled')]),
              ),
              created_from: Type.Optional(Type.String({ format: 'date-time' })),
              created_to: Type.Optional(Type.String({ format: 'date-time' })),
            },
            { additionalProperties: false },
          ),
          response: { 200: list(Type.Ref('Transaction')), ...errors(400, 401, 429) },
        },
      },
      async (request) => {
        const q = request.query;
        const walletIds = await services.wallets.accountIds(userIdOf(request));
        const page = await listTransactions(services.pool, walletIds, {
          limit: q.limit,
          startingAfter: q.starting_after,
          currency: q.currency,
          type: q.type,
          status: q.status,
          createdFrom: q.created_from ? new Date(q.created_from) : undefined,
          createdTo: q.created_to ? new Date(q.created_to) : undefined,
        });
        return { object: 'list' as const, ...page };
      },
    );
  };
