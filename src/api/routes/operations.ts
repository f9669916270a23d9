import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { listDeadJobs, retryDeadJob } from '../../db/jobs.ts';
import { paymentStatuses } from '../../payments/index.ts';
import { ChatPayError } from '../../shared/errors.ts';
import type { ApiServices } from '../context.ts';
import { userIdOf } from '../plugins/auth.ts';
import { errors, list, pageOf, Timestamp } from '../schemas.ts';

const finance = { access: 'operator' as const, roles: ['admin', 'finance'] as const };
const anyOperator = { access: 'operator' as const };

const WebhookEventSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('webhook_event'),
  provider: Type.String(),
  event_id: Type.Union([Type.String(), Type.Null()]),
  verified: Type.Boolean(),
  verification_error: Type.Union([Type.String(), Type.Null()]),
  result: Type.Union([Type.String(), Type.Null()]),
  payment_id: Type.Union([Type.String(), Type.Null()]),
  body: Type.String(),
  received_at: Timestamp,
  processed_at: Type.Union([Timestamp, Type.Null()]),
});

const DeadJobSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('job'),
  task: Type.String(),
  attempts: Type.Integer(),
  last_error: Type.Union([Type.String(), Type.Null()]),
  payload: Type.Any(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

/** The operator API over payments: lists, raw webhook events, dead jobs, review resolution. */
export const operationRoutes = (services: ApiServices): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    app.get(
      '/v1/operator/payments',
      {
        config: anyOperator,
        schema: {
          tags: ['operations'],
          summary: 'Deposits, merchant payments and withdrawals, newest first, filtered',
          querystring: Type.Object({
            kind: Type.Optional(
              Type.Union([Type.Literal('deposit'), Type.Literal('collection'), Type.Literal('withdrawal')]),
            ),
            status: Type.Optional(Type.Union(paymentStatuses.map((s) => Type.Literal(s)))),
            provider: Type.Optional(Type.String({ maxLength: 32 })),
            limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
            starting_after: Type.Optional(Type.String({ maxLength: 100 })),
          }),
          response: { 200: list(Type.Ref('Payment')), ...errors(400, 401, 403, 429) },
        },
      },
      async (request) => {
        const { limit, starting_after, ...filter } = request.query;
        const page = await services.payments.list({
          ...filter,
          limit: limit + 1,
          startingAfter: starting_after,
        });
        return pageOf(page, limit, (p) => p);
      },
    );

    app.post(
      '/v1/operator/payments/:id/resolve',
      {
        config: finance,
        schema: {
          tags: ['operations'],
          summary: 'Settle a payment in needs_review, with a reason (finance)',
          description:
            '`succeeded` moves the money as the provider’s success would (credit the wallet, or post the withdrawal’s hold); `failed` as its failure would.',
          params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
          body: Type.Object(
            {
              outcome: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
              reason: Type.String({ minLength: 3, maxLength: 500 }),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Ref('Payment'), ...errors(400, 401, 403, 404, 409, 422, 429) },
        },
      },
      async (request) => {
        const before = await services.payments.get(request.params.id);
        const after = await services.payments.resolveReview(
          request.params.id,
          userIdOf(request),
          request.body,
        );
        request.audit = {
          object: after.id,
          before: { status: before.status },
          after: { status: after.status, reason: request.body.reason },
        };
        return after;
      },
    );

    app.get(
      '/v1/operator/webhook-events',
      {
        config: anyOperator,
        schema: {
          tags: ['operations'],
          summary: 'Inbound provider webhooks as received, with their verification result',
          querystring: Type.Object({
            provider: Type.Optional(Type.String({ maxLength: 32 })),
            verified: Type.Optional(Type.Boolean()),
            limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
          }),
          response: { 200: list(WebhookEventSchema), ...errors(400, 401, 403, 429) },
        },
      },
      async (request) => {
        const { provider, verified, limit } = request.query;
        const rows = await services.payments.webhookEvents({ provider, verified, limit: limit + 1 });
        return pageOf(rows, limit, (r) => ({
          ...r,
          object: 'webhook_event' as const,
          received_at: r.received_at.toISOString(),
          processed_at: r.processed_at?.toISOString() ?? null,
        }));
      },
    );

    app.get(
      '/v1/operator/jobs/dead',
      {
        config: anyOperator,
        schema: {
          tags: ['operations'],
          summary: 'Jobs that failed every attempt and wait for an operator',
          querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) }),
          response: { 200: list(DeadJobSchema), ...errors(400, 401, 403, 429) },
        },
      },
      async (request) => {
        const jobs = await listDeadJobs(services.pool, request.query.limit + 1);
        return pageOf(jobs, request.query.limit, (j) => ({
          id: j.id,
          object: 'job' as const,
          task: j.task,
          attempts: j.attempts,
          last_error: j.lastError,
          payload: j.payload,
          created_at: j.createdAt.toISOString(),
          updated_at: j.updatedAt.toISOString(),
        }));
      },
    );

    app.post(
      '/v1/operator/jobs/:id/retry',
      {
        config: finance,
        schema: {
          tags: ['operations'],
          summary: 'Run a dead job again, with a fresh set of attempts (jobs are idempotent)',
          params: Type.Object({ id: Type.String({ maxLength: 20 }) }),
          body: Type.Object(
            { reason: Type.Optional(Type.String({ maxLength: 500 })) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({ id: Type.String(), object: Type.Literal('job'), retried: Type.Literal(true) }),
            ...errors(401, 403, 404, 409, 422, 429),
          },
        },
      },
      async (request) => {
        if (!(await retryDeadJob(services.pool, request.params.id))) throw new ChatPayError('job_not_found');
        request.audit = {
          object: `job_${request.params.id}`,
          after: { reason: request.body?.reason ?? null },
        };
        return { id: request.params.id, object: 'job' as const, retried: true as const };
      },
    );
  };
