import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { parseAmount } from '../../../shared/money.ts';
import type { ApiServices } from '../../context.ts';
import { userIdOf } from '../../plugins/auth.ts';
import { Amount, Currency, errors, list, pageOf, Timestamp } from '../../schemas.ts';

const finance = { access: 'operator' as const, roles: ['admin', 'finance'] as const };

const AdjustmentSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('adjustment'),
  user_id: Type.String(),
  currency: Type.String(),
  direction: Type.Union([Type.Literal('credit'), Type.Literal('debit')]),
  amount: Amount,
  reason: Type.String(),
  status: Type.Union([Type.Literal('pending_approval'), Type.Literal('approved'), Type.Literal('rejected')]),
  requested_by: Type.String(),
  decided_by: Type.Union([Type.String(), Type.Null()]),
  decision_reason: Type.Union([Type.String(), Type.Null()]),
  transfer_id: Type.String({ description: 'The ledger transfer posted on approval.' }),
  created_at: Timestamp,
  decided_at: Type.Union([Timestamp, Type.Null()]),
});

const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
// A reason is what a reviewer reads later: at least one character that isn't white space.
const Reason = Type.String({ minLength: 1, maxLength: 500, pattern: '\\S' });

/** Manual credits and debits: requested by one finance operator, approved by another. */
export const adjustmentRoutes = (services: ApiServices): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    app.get(
      '/v1/operator/adjustments',
      {
        config: { access: 'operator' },
        schema: {
          tags: ['console'],
          summary: 'Manual adjustments, newest first',
          querystring: Type.Object({
            status: Type.Optional(
              Type.Union([
                Type.Literal('pending_approval'),
                Type.Literal('approved'),
                Type.Literal('rejected'),
              ]),
            ),
            user_id: Type.Optional(Type.String({ maxLength: 100 })),
            limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
            starting_after: Type.Optional(Type.String({ maxLength: 100 })),
          }),
          response: { 200: list(AdjustmentSchema), ...errors(400, 401, 403, 429) },
        },
      },
      async (request) => {
        const { status, user_id, limit, starting_after } = request.query;
        const rows = await services.adjustments.list({
          status,
          userId: user_id,
          limit: limit + 1,
          startingAfter: starting_after,
        });
        return pageOf(rows, limit, (r) => r);
      },
    );

    app.post(
      '/v1/operator/adjustments',
      {
        config: finance,
        schema: {
          tags: ['console'],
          summary: 'Request a manual credit or debit of a user’s wallet (finance)',
          description: 'Nothing moves until another finance operator or admin approves it.',
          body: Type.Object(
            {
              user_id: Type.String({ maxLength: 100 }),
              currency: Currency,
              direction: Type.Union([Type.Literal('credit'), Type.Literal('debit')]),
              amount: Amount,
              reason: Reason,
            },
            { additionalProperties: false },
          ),
          response: { 201: AdjustmentSchema, ...errors(400, 401, 403, 404, 409, 422, 429) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const adjustment = await services.adjustments.request({
          userId: body.user_id,
          currency: body.currency,
          direction: body.direction,
          amount: parseAmount(body.amount, body.currency),
          reason: body.reason.trim(),
          requestedBy: userIdOf(request),
        });
        request.audit = { object: adjustment.id, after: adjustment };
        return reply.code(201).send(adjustment);
      },
    );

    for (const action of ['approve', 'reject'] as const) {
      app.post(
        `/v1/operator/adjustments/:id/${action}`,
        {
          config: finance,
          schema: {
            tags: ['console'],
            summary:
              action === 'approve'
                ? 'Approve an adjustment and post it to the ledger (finance; not the requester)'
                : 'Reject an adjustment with a reason (finance; not the requester)',
            params: IdParams,
            body: Type.Object(action === 'approve' ? { reason: Type.Optional(Reason) } : { reason: Reason }, {
              additionalProperties: false,
            }),
            response: { 200: AdjustmentSchema, ...errors(400, 401, 402, 403, 404, 409, 422, 429) },
          },
        },
        async (request) => {
          const operator = userIdOf(request);
          const reason = (request.body as { reason?: string } | undefined)?.reason;
          const decided =
            action === 'approve'
              ? await services.adjustments.approve(request.params.id, operator, reason)
              : await services.adjustments.reject(request.params.id, operator, reason ?? '');
          request.audit = {
            object: decided.id,
            before: { status: 'pending_approval' },
            after: { status: decided.status, reason: reason ?? null },
          };
          return decided;
        },
      );
    }
  };
