import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { kycStatuses } from '../../../users/index.ts';
import type { ApiServices } from '../../context.ts';
import { userIdOf } from '../../plugins/auth.ts';
import { errors, list, pageOf } from '../../schemas.ts';
import { KycDocumentFields, KycLevelSchema } from '../kyc.ts';

// docs/console.md's role table: KYC review is for admins and support.
const reviewers = { access: 'operator' as const, roles: ['admin', 'support'] as const };

const OperatorKycDocumentSchema = Type.Object({
  ...KycDocumentFields,
  sha256: Type.String({ description: 'Hex SHA-256 of the file as received.' }),
  decided_by: Type.Union([Type.String(), Type.Null()]),
  user: Type.Object({
    id: Type.String(),
    email: Type.Union([Type.String(), Type.Null()]),
    phone: Type.Union([Type.String(), Type.Null()]),
    display_name: Type.Union([Type.String(), Type.Null()]),
    kyc_level: KycLevelSchema,
  }),
});

const DecidedSchema = Type.Object({
  ...KycDocumentFields,
  user_id: Type.String(),
  kyc_level: { ...KycLevelSchema, description: 'The user’s level after the decision.' },
});

const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const Reason = Type.String({ minLength: 1, maxLength: 500 });
const extensions = { 'image/jpeg': 'jpg', 'image/png': 'png', 'application/pdf': 'pdf' } as const;
const binary = (type: keyof typeof extensions) => ({
  schema: Type.String({ contentMediaType: type }),
});

/** Reviewing users' KYC documents: the queue, the files themselves, approval and rejection. */
export const kycReviewRoutes = (services: ApiServices): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    app.get(
      '/v1/operator/kyc',
      {
        config: reviewers,
        schema: {
          tags: ['console'],
          summary: 'KYC documents, newest first, with whose they are (admin, support)',
          querystring: Type.Object(
            {
              status: Type.Optional(Type.Union(kycStatuses.map((s) => Type.Literal(s)))),
              user_id: Type.Optional(Type.String({ maxLength: 100 })),
              limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
              starting_after: Type.Optional(Type.String({ maxLength: 100 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: list(OperatorKycDocumentSchema), ...errors(400, 401, 403, 429) },
        },
      },
      async (request) => {
        const { status, user_id, limit, starting_after } = request.query;
        const rows = await services.kyc.list({
          status,
          userId: user_id,
          limit: limit + 1,
          startingAfter: starting_after,
        });
        return pageOf(rows, limit, (r) => r);
      },
    );

    app.get(
      '/v1/operator/kyc/:id/file',
      {
        // Who looked at whose identity document is part of the record.
        config: { ...reviewers, auditReads: true },
        schema: {
          tags: ['console'],
          summary: 'The document’s file, as the user sent it (admin, support)',
          description:
            'Served inline with the type detected on upload, `X-Content-Type-Options: nosniff` and `Cache-Control: no-store`.',
          params: IdParams,
          response: {
            200: {
              description: 'The file.',
              content: {
                'image/jpeg': binary('image/jpeg'),
                'image/png': binary('image/png'),
                'application/pdf': binary('application/pdf'),
              },
            },
            ...errors(401, 403, 404, 429, 503),
          },
        },
      },
      async (request, reply) => {
        const { document, stream } = await services.kyc.open(request.params.id);
        request.audit = { object: document.id, after: { viewed: true } };
        // Identity documents: never cached on the way, never sniffed into something executable.
        return reply
          .header('content-type', document.content_type)
          .header('content-length', document.size_bytes)
          .header(
            'content-disposition',
            `inline; filename="${document.id}.${extensions[document.content_type]}"`,
          )
          .header('x-content-type-options', 'nosniff')
          .header('cache-control', 'no-store')
          .send(stream as unknown as string); // a stream skips serialisation; the schema only documents it
      },
    );

    for (const action of ['approve', 'reject'] as const) {
      app.post(
        `/v1/operator/kyc/:id/${action}`,
        {
          config: reviewers,
          schema: {
            tags: ['console'],
            summary:
              action === 'approve'
                ? 'Approve a KYC document: the user’s level rises to its level (admin, support)'
                : 'Reject a KYC document with a reason the user sees (admin, support)',
            description:
              'A document is decided once; the user hears of it (realtime `kyc.approved` / `kyc.rejected`).',
            params: IdParams,
            body: Type.Object(action === 'approve' ? { reason: Type.Optional(Reason) } : { reason: Reason }, {
              additionalProperties: false,
            }),
            response: { 200: DecidedSchema, ...errors(400, 401, 403, 404, 409, 422, 429) },
          },
        },
        async (request) => {
          const reason = (request.body as { reason?: string } | undefined)?.reason;
          const decided = await services.kyc.decide(request.params.id, userIdOf(request), {
            approve: action === 'approve',
            reason,
          });
          request.audit = {
            object: decided.after.id,
            before: { status: decided.before.status, kyc_level: decided.levelBefore },
            after: {
              status: decided.after.status,
              reason: decided.after.reason,
              kyc_level: decided.levelAfter,
            },
          };
          return { ...decided.after, user_id: decided.userId, kyc_level: decided.levelAfter };
        },
      );
    }
  };
