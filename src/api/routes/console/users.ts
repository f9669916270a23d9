import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ChatPayError } from '../../../shared/errors.ts';
import {
  freezeState,
  freezeUser,
  looksLikePhone,
  normalizePhone,
  unfreezeUser,
} from '../../../users/index.ts';
import type { ApiServices, Principal } from '../../context.ts';
import { userIdOf } from '../../plugins/auth.ts';
import { errors, list, Nullable, pageOf, Timestamp } from '../../schemas.ts';
import { KycLevelSchema } from '../kyc.ts';
import { AuditCursor, AuditEntrySchema, auditEntryView, listUserAudit } from './audit.ts';

const userFields = {
  id: Type.String(),
  object: Type.Literal('user'),
  email: Nullable(Type.String()),
  phone: Nullable(Type.String({ description: 'E.164' })),
  phone_verified: Type.Boolean({ description: 'Proven theirs by a chat channel (a shared own contact).' }),
  display_name: Nullable(Type.String()),
  role: Type.String(),
  telegram_username: Nullable(Type.String()),
  kyc_level: KycLevelSchema,
  frozen: Type.Boolean(),
  created_at: Timestamp,
};

const UserItemSchema = Type.Object(userFields);

const UserDetailSchema = Type.Object({
  ...userFields,
  identities: Type.Array(
    Type.Object({
      provider: Type.String(),
      external_id: Type.String(),
      username: Nullable(Type.String()),
      created_at: Timestamp,
    }),
  ),
  wallets: Type.Array(Type.Ref('Wallet')),
  kyc: Type.Object({ level: KycLevelSchema }),
  frozen_at: Nullable(Timestamp),
  frozen_reason: Nullable(Type.String()),
});

const UserParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const Page = {
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
};
const FreezeBody = Type.Object(
  { reason: Type.String({ minLength: 3, maxLength: 500, pattern: '\\S' }) },
  { additionalProperties: false },
);
const freezers = { access: 'operator' as const, roles: ['admin', 'support'] as const };

interface UserRow {
  id: string;
  email: string | null;
  phone: string | null;
  phone_verified_at: Date | null;
  display_name: string | null;
  role: string;
  telegram_username: string | null;
  kyc_level: 'none' | 'basic' | 'full';
  frozen_at: Date | null;
  frozen_reason: string | null;
  created_at: Date;
}

const userColumns = `u.id, u.email, u.phone, u.phone_verified_at, u.display_name, u.role, u.kyc_level, u.frozen_at, u.frozen_reason,
  u.created_at, (SELECT i.username FROM user_identities i WHERE i.user_id = u.id AND i.provider = 'telegram'
    AND i.username IS NOT NULL ORDER BY i.created_at LIMIT 1) AS telegram_username`;

function userItem(row: UserRow) {
  return {
    id: row.id,
    object: 'user' as const,
    email: row.email,
    phone: row.phone,
    phone_verified: row.phone !== null && row.phone_verified_at !== null,
    display_name: row.display_name,
    role: row.role,
    telegram_username: row.telegram_username,
    kyc_level: row.kyc_level,
    frozen: row.frozen_at !== null,
    created_at: row.created_at.toISOString(),
  };
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, '\\$&');

/**
 * The LIKE prefixes a search term turns into: `@name` looks at Telegram usernames only; a phone-like
 * term is normalised to E.164 (or, when incomplete, taken as the start of one); anything else is
 * matched against display names, emails and usernames, case-insensitively.
 */
function searchPrefixes(q: string): { text: string | null; phone: string | null; username: string } {
  const term = q.trim().toLowerCase();
  if (term.startsWith('@')) return { text: null, phone: null, username: `${escapeLike(term.slice(1))}%` };
  let phone: string | null = null;
  if (looksLikePhone(term) || /^\+[0-9]{2,}$/.test(term)) {
    try {
      phone = normalizePhone(term);
    } catch {
      phone = `+${term.replace(/[^0-9]/g, '')}`;
    }
  }
  const text = `${escapeLike(term)}%`;
  return { text, phone: phone && `${phone}%`, username: text };
}

// Matches read per field. A prefix that matches more (a single letter, a country code) costs the same
// as one that matches this many; the list then covers the first ones in that field's order.
const matchesPerFieldMax = 2_000;

/**
 * Users newest first (ids sort by creation time), optionally only those matching `q`. Sent as an
 * unnamed statement, so it is planned with the prefixes: each branch is a range scan of its
 * `text_pattern_ops` index (migration 0011), and only the page's rows are joined back to users.
 * Each branch orders `USING ~<~`, the index's own order: ordered by the collation's `<` instead, a
 * prefix matching most users (`+254`) read and sorted every match (300 ms against 1 ms at 500,000).
 */
export function userSearchQuery(query: {
  readonly q?: string | undefined;
  readonly startingAfter?: string | undefined;
  readonly limit: number;
}): { text: string; values: unknown[] } {
  const cursor = query.startingAfter ?? null;
  if (query.q === undefined || query.q.trim() === '') {
    return {
      text: `SELECT ${userColumns} FROM users u WHERE ($1::text IS NULL OR u.id < $1) ORDER BY u.id DESC LIMIT $2`,
      values: [cursor, query.limit],
    };
  }
  const p = searchPrefixes(query.q);
  return {
    text: `WITH matches AS (
       (SELECT id FROM users WHERE $1::text IS NOT NULL AND lower(display_name) LIKE $1
          ORDER BY lower(display_name) USING ~<~ LIMIT $6)
       UNION (SELECT id FROM users WHERE $1::text IS NOT NULL AND email IS NOT NULL AND email LIKE $1
          ORDER BY email USING ~<~ LIMIT $6)
       UNION (SELECT id FROM users WHERE $2::text IS NOT NULL AND phone IS NOT NULL AND phone LIKE $2
          ORDER BY phone USING ~<~ LIMIT $6)
       UNION (SELECT user_id FROM user_identities WHERE lower(username) LIKE $3
          ORDER BY lower(username) USING ~<~ LIMIT $6)),
     page AS (SELECT id FROM matches WHERE $4::text IS NULL OR id < $4 ORDER BY id DESC LIMIT $5)
     SELECT ${userColumns} FROM page JOIN users u ON u.id = page.id ORDER BY u.id DESC`,
    values: [p.text, p.phone, p.username, cursor, query.limit, matchesPerFieldMax],
  };
}

async function userDetail(services: ApiServices, id: string) {
  const { rows } = await services.pool.query<UserRow>(`SELECT ${userColumns} FROM users u WHERE u.id = $1`, [
    id,
  ]);
  const row = rows[0];
  if (!row) throw new ChatPayError('user_not_found');
  const [identities, wallets] = await Promise.all([
    services.pool.query<{ provider: string; external_id: string; username: string | null; created_at: Date }>(
      `SELECT provider, external_id, username, created_at FROM user_identities WHERE user_id = $1
        ORDER BY created_at`,
      [id],
    ),
    services.wallets.list(id),
  ]);
  return {
    ...userItem(row),
    identities: identities.rows.map((i) => ({ ...i, created_at: i.created_at.toISOString() })),
    wallets,
    kyc: { level: row.kyc_level },
    frozen_at: row.frozen_at?.toISOString() ?? null,
    frozen_reason: row.frozen_reason,
  };
}

/**
 * Who may freeze whom: nobody themselves (another operator must look at it), and only an admin
 * another operator (support works on customers; an operator's account is an admin's business).
 */
async function checkFreezer(services: ApiServices, principal: Principal | null, targetId: string) {
  const actorId = userIdOf({ principal });
  const target = await freezeState(services.pool, targetId);
  if (targetId === actorId) throw new ChatPayError('operator_self_action');
  const actorRole = principal?.kind === 'user' ? principal.role : undefined;
  if (target.role !== 'user' && actorRole !== 'admin') {
    throw new ChatPayError('forbidden', { message: 'Only an admin can freeze or unfreeze an operator.' });
  }
  return target;
}

const frozenState = (s: { frozenAt: Date | null; frozenReason: string | null }) => ({
  frozen_at: s.frozenAt?.toISOString() ?? null,
  frozen_reason: s.frozenReason,
});

export const consoleUserRoutes = (services: ApiServices): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    app.get(
      '/v1/operator/users',
      {
        config: { access: 'operator' },
        schema: {
          tags: ['console'],
          summary: 'Users, newest first; `q` searches names, emails, phones and Telegram usernames',
          description:
            'Case-insensitive prefix match. `@name` searches Telegram usernames only; a phone number is normalised to E.164 first (give the country code).',
          querystring: Type.Object(
            {
              q: Type.Optional(Type.String({ maxLength: 200 })),
              ...Page,
              starting_after: Type.Optional(Type.String({ maxLength: 100 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: list(UserItemSchema), ...errors(400, 401, 403, 429) },
        },
      },
      async (request) => {
        const { q, limit, starting_after } = request.query;
        const search = userSearchQuery({ q, startingAfter: starting_after, limit: limit + 1 });
        const { rows } = await services.pool.query<UserRow>(search);
        return pageOf(rows, limit, userItem);
      },
    );

    app.get(
      '/v1/operator/users/:id',
      {
        config: { access: 'operator' },
        schema: {
          tags: ['console'],
          summary: 'One user with identities, wallets, KYC level and frozen state',
          params: UserParams,
          response: { 200: UserDetailSchema, ...errors(401, 403, 404, 429) },
        },
      },
      async (request) => userDetail(services, request.params.id),
    );

    app.get(
      '/v1/operator/users/:id/audit',
      {
        config: { access: 'operator' },
        schema: {
          tags: ['console'],
          summary: 'The audit trail about a user: changes to them and requests they made, newest first',
          params: UserParams,
          querystring: Type.Object(
            { ...Page, starting_after: Type.Optional(AuditCursor) },
            { additionalProperties: false },
          ),
          response: { 200: list(AuditEntrySchema), ...errors(400, 401, 403, 404, 429) },
        },
      },
      async (request) => {
        const { limit, starting_after } = request.query;
        await freezeState(services.pool, request.params.id); // 404 for an unknown user
        const rows = await listUserAudit(services.pool, request.params.id, {
          startingAfter: starting_after,
          limit: limit + 1,
        });
        return pageOf(rows, limit, auditEntryView);
      },
    );

    app.post(
      '/v1/operator/users/:id/freeze',
      {
        config: freezers,
        schema: {
          tags: ['console'],
          summary: 'Freeze a user: no transfers, withdrawals or deposits until unfrozen (admin, support)',
          description:
            'Money sent to the user still arrives. Nobody freezes themselves; only an admin freezes another operator.',
          params: UserParams,
          body: FreezeBody,
          response: { 200: UserDetailSchema, ...errors(400, 401, 403, 404, 409, 422, 429) },
        },
      },
      async (request) => {
        const before = await checkFreezer(services, request.principal, request.params.id);
        const after = await freezeUser(services.pool, request.params.id, request.body.reason);
        request.audit = { object: request.params.id, before: frozenState(before), after: frozenState(after) };
        return userDetail(services, request.params.id);
      },
    );

    app.post(
      '/v1/operator/users/:id/unfreeze',
      {
        config: freezers,
        schema: {
          tags: ['console'],
          summary: 'Unfreeze a user, with a reason (admin, support)',
          params: UserParams,
          body: FreezeBody,
          response: { 200: UserDetailSchema, ...errors(400, 401, 403, 404, 409, 422, 429) },
        },
      },
      async (request) => {
        const before = await checkFreezer(services, request.principal, request.params.id);
        const after = await unfreezeUser(services.pool, request.params.id);
        request.audit = {
          object: request.params.id,
          before: frozenState(before),
          after: { ...frozenState(after), reason: request.body.reason },
        };
        return userDetail(services, request.params.id);
      },
    );
  };
