import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { newId } from '../../shared/ids.ts';
import { transferView } from '../../wallets/transfers.ts';
import type { ApiServices } from '../context.ts';
import { auditWithLedger } from '../plugins/audit.ts';
import { userIdOf } from '../plugins/auth.ts';
import { idempotentId } from '../plugins/idempotency.ts';
import { Amount, Currency, errors, Timestamp, UserId } from '../schemas.ts';

export const TransferSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('transfer'),
    amount: Amount,
    currency: Type.String(),
    from: Type.Object({ user_id: UserId }),
    to: Type.Object({ user_id: UserId }),
    note: Type.Union([Type.String(), Type.Null()]),
    status: Type.Literal('succeeded'),
    created_at: Timestamp,
  },
  { $id: 'Transfer' },
);

type SendBody = { readonly amount: string; readonly currency: string };

export const transferRoutes = (services: ApiServices): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    app.post(
      '/v1/transfers',
      {
        config: {
          access: 'user',
          // Below the PIN threshold nothing changes before the ledger statement, which carries the
          // answer: the key is claimed there (see plugins/idempotency.ts).
          claimWithAnswer: (request) => services.transfers.changesNothingFirst(request.body as SendBody),
        },
        schema: {
          tags: ['transfers'],
          summary: 'Send money to another user',
          description:
            'Above the currency’s PIN threshold the transaction PIN is required. Send an Idempotency-Key: a retry with the same key returns the first answer and never pays twice.',
          headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 255 })) }),
          body: Type.Object(
            {
              to: Type.String({
                minLength: 1,
                maxLength: 254,
                description: 'A user id, @telegram_username, phone or email.',
              }),
              amount: Amount,
              currency: Currency,
              note: Type.Optional(Type.String({ maxLength: 140 })),
              pin: Type.Optional(Type.String({ maxLength: 6 })),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('Transfer'), ...errors(400, 401, 402, 403, 404, 409, 422, 423, 429) },
        },
      },
      async (request, reply) => {
        // The entry (and stored answer) of a transfer that moves commits with it, in one statement.
        const alongside = auditWithLedger(request, 201, ([result]) =>
          result?.result === 'ok' && result.transfer
            ? { object: result.transfer.id, answer: transferView(result.transfer) }
            : undefined,
        );
        const transfer = await services.transfers.send({
          fromUserId: userIdOf(request),
          ...request.body,
          transferId: idempotentId('txf', request, () => newId('txf')),
          alongside,
        });
        request.audit = { object: transfer.id };
        return reply.code(201).send(transfer);
      },
    );

    app.get(
      '/v1/transfers/:id',
      {
        config: { access: 'user' },
        schema: {
          tags: ['transfers'],
          summary: 'A transfer you sent or received',
          params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
          response: { 200: Type.Ref('Transfer'), ...errors(401, 404, 429) },
        },
      },
      async (request) => services.transfers.get(userIdOf(request), request.params.id),
    );
  };
