import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ChatPayError } from '../../shared/errors.ts';
import type { ApiServices } from '../context.ts';
import { userIdOf } from '../plugins/auth.ts';
import { Amount, Currency, errors, list } from '../schemas.ts';

export const WalletSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('wallet'),
    currency: Type.String(),
    available: Amount,
    posted: Amount,
    pending: Type.Object({ incoming: Amount, outgoing: Amount }),
  },
  { $id: 'Wallet' },
);

export const walletRoutes = (services: ApiServices): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    app.get(
      '/v1/wallets',
      {
        config: { access: 'user' },
        schema: {
          tags: ['wallets'],
          summary: 'Your wallets, one per currency, with available, posted and pending balances',
          response: { 200: list(Type.Ref('Wallet')), ...errors(401, 429) },
        },
      },
      async (request) => ({
        object: 'list' as const,
        data: await services.wallets.list(userIdOf(request)),
        has_more: false,
      }),
    );

    app.get(
      '/v1/wallets/:currency',
      {
        config: { access: 'user' },
        schema: {
          tags: ['wallets'],
          summary: 'Your wallet in one currency (zero balances if never used)',
          params: Type.Object({ currency: Currency }),
          response: { 200: Type.Ref('Wallet'), ...errors(400, 401, 404, 429) },
        },
      },
      async (request) => {
        const wallet = await services.wallets.get(userIdOf(request), request.params.currency);
        if (!wallet) throw new ChatPayError('wallet_not_found');
        return wallet;
      },
    );
  };
