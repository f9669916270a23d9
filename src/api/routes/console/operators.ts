import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  changeRole,
  createOperator,
  listOperators,
  type OperatorView,
  operatorRoles,
  resetTotp,
} from '../../../users/index.ts';
import type { ApiServices } from '../../context.ts';
import { userIdOf } from '../../plugins/auth.ts';
import { errors, list, pageOf, Timestamp } from '../../schemas.ts';

const admin = { access: 'operator' as const, roles: ['admin'] as const };
const OperatorRole = Type.Union(operatorRoles.map((r) => Type.Literal(r)));
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

const OperatorSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('operator'),
  email: Type.Union([Type.String(), Type.Null()]),
  role: OperatorRole,
  totp_enrolled: Type.Boolean({ description: 'False until the first sign-in confirms an authenticator.' }),
  created_at: Timestamp,
});

const CreatedOperatorSchema = Type.Object({
  ...OperatorSchema.properties,
  password: Type.String({ description: 'One-time password, shown in this answer only: hand it over now.' }),
});

const auditView = (o: OperatorView) => ({ role: o.role, totp_enrolled: o.totp_enrolled });

/**
 * Operator accounts (admins only). A role change or a TOTP reset ends the operator's console
 * sessions, so it applies at their next sign-in; operator routes called with a bearer token read the
 * operator's current role (src/api/plugins/auth.ts), so there it applies at the next call.
 */
export const consoleOperatorRoutes = (services: ApiServices): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    app.get(
      '/v1/operator/operators',
      {
        config: admin,
        schema: {
          tags: ['console'],
          summary: 'Operators, newest first (admin)',
          querystring: Type.Object(
            {
              limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
              starting_after: Type.Optional(Type.String({ maxLength: 100 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: list(OperatorSchema), ...errors(400, 401, 403, 429) },
        },
      },
      async (request) => {
        const { limit, starting_after } = request.query;
        const rows = await listOperators(services.pool, { limit: limit + 1, startingAfter: starting_after });
        return pageOf(rows, limit, (o) => o);
      },
    );

    app.post(
      '/v1/operator/operators',
      {
        // The answer holds a password, so it is never stored for idempotent replay.
        config: { ...admin, idempotent: false },
        schema: {
          tags: ['console'],
          summary: 'Create an operator; the one-time password is in this answer only (admin)',
          description: 'The operator signs in with it and enrols TOTP at the first sign-in.',
          body: Type.Object(
            { email: Type.String({ minLength: 3, maxLength: 254 }), role: OperatorRole },
            { additionalProperties: false },
          ),
          response: { 201: CreatedOperatorSchema, ...errors(400, 401, 403, 409, 429) },
        },
      },
      async (request, reply) => {
        const { operator, password } = await createOperator(services.pool, services.users, request.body);
        request.audit = { object: operator.id, after: { email: operator.email, role: operator.role } };
        return reply.code(201).send({ ...operator, password });
      },
    );

    app.post(
      '/v1/operator/operators/:id/role',
      {
        config: admin,
        schema: {
          tags: ['console'],
          summary: 'Change an operator’s role (admin; not your own, never the last admin’s)',
          params: IdParams,
          body: Type.Object({ role: OperatorRole }, { additionalProperties: false }),
          response: { 200: OperatorSchema, ...errors(400, 401, 403, 404, 409, 422, 429) },
        },
      },
      async (request) => {
        const { before, after } = await changeRole(services.pool, {
          actorId: userIdOf(request),
          operatorId: request.params.id,
          role: request.body.role,
        });
        if (before.role !== after.role) await services.consoleSessions.endAll(after.id);
        request.audit = { object: after.id, before: auditView(before), after: auditView(after) };
        return after;
      },
    );

    app.post(
      '/v1/operator/operators/:id/reset-totp',
      {
        config: admin,
        schema: {
          tags: ['console'],
          summary: 'Clear an operator’s TOTP so they enrol a new authenticator at next sign-in (admin)',
          params: IdParams,
          body: Type.Object({}, { additionalProperties: false }),
          response: { 200: OperatorSchema, ...errors(400, 401, 403, 404, 409, 422, 429) },
        },
      },
      async (request) => {
        const after = await resetTotp(services.pool, {
          actorId: userIdOf(request),
          operatorId: request.params.id,
        });
        await services.consoleSessions.endAll(after.id);
        request.audit = { object: after.id, after: auditView(after) };
        return after;
      },
    );
  };
