import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Pool } from '../../../db/pool.ts';
import { createdRange } from '../../../reports/index.ts';
import type { ApiServices } from '../../context.ts';
import { errors, list, Nullable, pageOf, Timestamp } from '../../schemas.ts';

export const AuditEntrySchema = Type.Object({
  id: Type.String({
    description: 'The entry’s sequence number, as a string (newer entries have larger ones).',
  }),
  object: Type.Literal('audit_entry'),
  at: Timestamp,
  principal: Type.String({
    description: '`user:<id>`, `merchant:<id>:<mode>`, `ip:<address>` or `anonymous`.',
  }),
  action: Type.String({ description: 'Method and route, e.g. `POST /v1/operator/users/:id/freeze`.' }),
  object_id: Nullable(Type.String()),
  before: Type.Unknown(),
  after: Type.Unknown(),
  status: Type.Integer({ description: 'The HTTP status the request was answered with.' }),
  ip: Nullable(Type.String()),
  user_agent: Nullable(Type.String()),
  request_id: Type.String(),
});

export const AuditCursor = Type.String({ pattern: '^[0-9]{1,18}$', description: 'An audit entry id.' });

interface AuditRow {
  id: string;
  at: Date;
  principal: string;
  action: string;
  object: string | null;
  before: unknown;
  after: unknown;
  status: number;
  ip: string | null;
  user_agent: string | null;
  request_id: string;
}

const auditColumns = 'id, at, principal, action, object, before, after, status, ip, user_agent, request_id';
// Pages are (at, id) descending: entries of one request time share `at`, the id breaks the tie.
const afterCursor = '($1::bigint IS NULL OR (at, id) < (SELECT at, id FROM audit_log WHERE id = $1))';

export function auditEntryView(row: AuditRow) {
  return {
    id: row.id,
    object: 'audit_entry' as const,
    at: row.at.toISOString(),
    principal: row.principal,
    action: row.action,
    object_id: row.object,
    before: row.before,
    after: row.after,
    status: row.status,
    ip: row.ip,
    user_agent: row.user_agent,
    request_id: row.request_id,
  };
}

export interface AuditFilter {
  readonly principal?: string | undefined;
  readonly action?: string | undefined;
  readonly object?: string | undefined;
  /** Instants as text (see createdRange). */
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly startingAfter?: string | undefined;
  readonly limit: number;
}

/**
 * Audit entries, newest first. Sent as an unnamed statement, so it is planned with the values: each
 * filter left out folds away and the planner picks the index of the one given (principal, object,
 * action, or time alone).
 */
export async function listAudit(pool: Pool, filter: AuditFilter): Promise<AuditRow[]> {
  const { rows } = await pool.query<AuditRow>(
    `SELECT ${auditColumns} FROM audit_log
      WHERE ${afterCursor} AND ($2::text IS NULL OR principal = $2) AND ($3::text IS NULL OR action = $3)
        AND ($4::text IS NULL OR object = $4) AND ($5::timestamptz IS NULL OR at >= $5)
        AND ($6::timestamptz IS NULL OR at < $6)
      ORDER BY at DESC, id DESC LIMIT $7`,
    [
      filter.startingAfter ?? null,
      filter.principal ?? null,
      filter.action ?? null,
      filter.object ?? null,
      filter.from ?? null,
      filter.to ?? null,
      filter.limit,
    ],
  );
  return rows;
}

/**
 * What happened to a user and what they did: entries whose object is the user, merged with entries
 * whose principal is the user, each branch read from its own index in order.
 */
export async function listUserAudit(
  pool: Pool,
  userId: string,
  page: { readonly startingAfter?: string | undefined; readonly limit: number },
): Promise<AuditRow[]> {
  const { rows } = await pool.query<AuditRow>(
    `(SELECT ${auditColumns} FROM audit_log WHERE object = $2 AND ${afterCursor}
       ORDER BY at DESC, id DESC LIMIT $3)
     UNION ALL
     (SELECT ${auditColumns} FROM audit_log
       WHERE principal = 'user:' || $2 AND object IS DISTINCT FROM $2 AND ${afterCursor}
       ORDER BY at DESC, id DESC LIMIT $3)
     ORDER BY at DESC, id DESC LIMIT $3`,
    [page.startingAfter ?? null, userId, page.limit],
  );
  return rows;
}

export const consoleAuditRoutes = (services: ApiServices): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    app.get(
      '/v1/operator/audit',
      {
        config: { access: 'operator' },
        schema: {
          tags: ['console'],
          summary: 'The audit log, newest first, filtered',
          description:
            'Every state-changing request leaves one entry. Filters combine; `created_from` is inclusive, `created_to` exclusive (a bare date includes that whole day, UTC).',
          querystring: Type.Object(
            {
              principal: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
              action: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
              object: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
              created_from: Type.Optional(Type.String({ maxLength: 40 })),
              created_to: Type.Optional(Type.String({ maxLength: 40 })),
              limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
              starting_after: Type.Optional(AuditCursor),
            },
            { additionalProperties: false },
          ),
          response: { 200: list(AuditEntrySchema), ...errors(400, 401, 403, 429) },
        },
      },
      async (request) => {
        const q = request.query;
        const { from, to } = createdRange(q.created_from, q.created_to);
        const rows = await listAudit(services.pool, {
          principal: q.principal,
          action: q.action,
          object: q.object,
          from,
          to,
          startingAfter: q.starting_after,
          limit: q.limit + 1,
        });
        return pageOf(rows, q.limit, auditEntryView);
      },
    );
  };
