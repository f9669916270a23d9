import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Pool } from '../../db/pool.ts';
import { principalKey } from '../context.ts';

/** What a handler may add to its request's audit entry: the object acted on, and its states. */
export interface AuditDetails {
  readonly object?: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

declare module 'fastify' {
  interface FastifyRequest {
    audit: AuditDetails | null;
  }
}

const userAgentMax = 256;

const insertAudit = `INSERT INTO audit_log (principal, action, object, before, after, status, ip, user_agent, request_id)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;

// With an Idempotency-Key: the answer to replay is stored in the same statement (one write per request).
const insertWithAnswer = `WITH answer AS (
    UPDATE idempotency_keys SET state = 'done', response_status = $6, response_body = $12::jsonb
     WHERE principal = $10 AND key = $11
  )
  ${insertAudit}`;

function principalOf(request: FastifyRequest): string {
  return request.principal ? principalKey(request.principal, request.ip) : 'anonymous';
}

/**
 * Also stores the answer of a request that carried an Idempotency-Key (see idempotency.ts), in the
 * same statement as its audit row.
 *
 * Every state-changing request (anything but GET/HEAD/OPTIONS), whether it succeeded or not, leaves
 * one audit row: who, what route, which object, before and after where the handler says, the outcome,
 * IP, user agent and request id. Bodies are never copied in: they can hold passwords and PINs. Reads
 * of bulk or personal data (exports, KYC documents) are audited too, by route (`auditReads`).
 */
export function registerAudit(app: FastifyInstance, pool: Pool): void {
  app.decorateRequest('audit', null);
  // onSend, not onResponse: the row is written before the caller sees the answer, so an acknowledged
  // change always has its audit entry.
  app.addHook('onSend', async (request, reply, payload) => {
    const read = ['GET', 'HEAD', 'OPTIONS'].includes(request.method);
    if (read && !request.routeOptions.config.auditReads) return payload;
    if (!(request.routeOptions.url ?? '').startsWith('/v1')) return payload;
    if (request.routeOptions.config.inbox) return payload;
    const details = request.audit ?? {};
    const row = [
      principalOf(request),
      `${request.method} ${request.routeOptions.url}`,
      details.object ?? null,
      details.before === undefined ? null : JSON.stringify(details.before),
      details.after === undefined ? null : JSON.stringify(details.after),
      reply.statusCode,
      request.ip,
      String(request.headers['user-agent'] ?? '').slice(0, userAgentMax),
      request.id,
    ];
    try {
      const claim = request.idempotency;
      const storeAnswer = claim !== null && reply.statusCode < 500 && !reply.getHeader('idempotent-replayed');
      if (storeAnswer) {
        const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
        await pool.query({
          name: 'audit_insert_with_answer',
          text: insertWithAnswer,
          values: [...row, claim.scope, claim.key, body],
        });
      } else {
        await pool.query({ name: 'audit_insert', text: insertAudit, values: row });
      }
    } catch (error) {
      request.log.error({ err: error }, 'audit entry lost');
    }
    return payload;
  });
}
