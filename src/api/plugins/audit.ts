import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Batcher } from '../../db/batcher.ts';
import type { Pool } from '../../db/pool.ts';
import type { Alongside, TransferResult } from '../../ledger/index.ts';
import { ChatPayError } from '../../shared/errors.ts';
import { type IdempotencyClaim, principalKey, routeOf } from '../context.ts';
import { envelope } from './errors.ts';
import { answerStored } from './idempotency.ts';

/** What a handler may add to its request's audit entry: the object acted on, and its states. */
export interface AuditDetails {
  readonly object?: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

declare module 'fastify' {
  interface FastifyRequest {
    audit: AuditDetails | null;
    /** An audit entry offered to the ledger (`auditWithLedger`): written once `alongside.written`. */
    ledgerAudit: { readonly alongside: Alongside; readonly statusCode: number } | null;
  }
}

const userAgentMax = 256;
// A write that fails is tried again after these pauses (a database failover, a dropped connection)
// before the request gives up on its audit entry.
const retryDelaysMs = [50, 250];

/**
 * One audit row, and for a request that carried an Idempotency-Key, the answer to replay: a row of
 * `audit_write_rows` (migrations 0020, 0021), nine values of the row then the answer's scope, key and
 * body, and the request's hash when the answer claims the key (see idempotency.ts).
 */
type AuditEntry = readonly (string | number | null)[];
const objectColumn = 2;
const answerKeyColumn = 10;
const answerBodyColumn = 11;

const auditFunction = 'audit_write_rows';
// The same, for an answer that must claim its key for the transfers it rides with to commit.
const gatedAuditFunction = 'audit_write_rows_gated';
// Every row waiting at that moment in one statement (one commit), answers included, as one JSON
// parameter (migration 0020). It returns the positions of rows whose answers lost their keys to
// answers stored first (migration 0021): neither their answers nor their entries were written.
const insertBatch = `SELECT ${auditFunction}($1::jsonb) AS lost`;

/** Whether the entry was written, or not because its answer found another stored under its key. */
type Written = 'written' | 'lost';

function auditWriter(pool: Pool): Batcher<AuditEntry, Written> {
  return new Batcher<AuditEntry, Written>({
    inFlightMax: 2,
    // A row the database refuses costs only its own request's audit entry, not its neighbours'.
    isolateFailures: true,
    run: async (entries) => {
      const { rows } = await pool.query<{ lost: number[] }>({
        name: 'audit_insert_batch',
        text: insertBatch,
        values: [JSON.stringify(entries)],
      });
      const lost = new Set(rows[0]?.lost);
      return entries.map((_, i) => (lost.has(i) ? 'lost' : 'written'));
    },
  });
}

function principalOf(request: FastifyRequest): string {
  return request.principal ? principalKey(request.principal, request.ip) : 'anonymous';
}

function auditEntry(
  request: FastifyRequest,
  statusCode: number,
  replayed: boolean,
  payload: unknown,
): AuditEntry {
  const details = request.audit ?? {};
  const claim = request.idempotency;
  const storeAnswer = claim !== null && statusCode < 500 && !replayed;
  const entry = [
    principalOf(request),
    `${request.method} ${routeOf(request).url}`,
    details.object ?? null,
    details.before === undefined ? null : JSON.stringify(details.before),
    details.after === undefined ? null : JSON.stringify(details.after),
    statusCode,
    request.ip,
    String(request.headers['user-agent'] ?? '').slice(0, userAgentMax),
    request.id,
    storeAnswer ? claim.scope : null,
    storeAnswer ? claim.key : null,
    storeAnswer ? (typeof payload === 'string' ? payload : JSON.stringify(payload)) : null,
  ];
  if (storeAnswer && claim.hash !== undefined) entry.push(claim.hash);
  return entry;
}

/**
 * The audit entry of a request that moves money, written in the ledger's own statement with its
 * transfers (see `Alongside` in ledger/types.ts): one commit instead of two on the API's busiest
 * path, and an entry that can't be missing for a transfer that committed. `made` gives the object
 * and the body the request will be answered with `statusCode`, from the ledger's results; undefined
 * (a refusal, a retry finding its transfer) leaves the entry to the ordinary path. Once the ledger
 * has written it, the request's answer with that status is not audited again (the onSend hook below
 * reads `request.ledgerAudit`).
 *
 * When the answer claims the request's Idempotency-Key (`claimWithAnswer`, see idempotency.ts), the
 * row is the transfers' gate: they commit only if the answer does, and if another answer was stored
 * under the key first, they are not made (`alongside.refused`) and the request answers with that one.
 *
 * The entry is taken from the request now, and the row holds only its values, never the request: the
 * row rides in the ledger's batch, and a request reachable from there could drag its whole object
 * graph into the old generation (see known-accounts.ts for how garbage gets promoted there).
 */
export function auditWithLedger(
  request: FastifyRequest,
  statusCode: number,
  made: (
    results: readonly TransferResult[],
  ) => { readonly object: string; readonly answer: unknown } | undefined,
): Alongside {
  const entry = auditEntry(request, statusCode, false, null);
  const storesAnswer = entry[answerKeyColumn] !== null;
  const gate = request.idempotency?.hash !== undefined;
  const alongside: Alongside = {
    fn: gate ? gatedAuditFunction : auditFunction,
    gate,
    written: false,
    row: (results) => {
      const outcome = made(results);
      if (outcome === undefined) return undefined;
      const row = [...entry];
      row[objectColumn] = outcome.object;
      row[answerBodyColumn] = storesAnswer ? JSON.stringify(outcome.answer) : null;
      return row;
    },
  };
  request.ledgerAudit = { alongside, statusCode };
  return alongside;
}

/**
 * Rows are written by group commit (see db/batcher.ts), each request still waiting for its own.
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
  app.decorateRequest('ledgerAudit', null);
  const writer = auditWriter(pool);
  const record = async (
    request: FastifyRequest,
    statusCode: number,
    replayed: boolean,
    payload: unknown,
  ): Promise<Written | 'failed'> => {
    const entry = auditEntry(request, statusCode, replayed, payload);
    for (let attempt = 0; ; attempt++) {
      try {
        return await writer.submit(entry);
      } catch (error) {
        const delayMs = retryDelaysMs[attempt];
        if (delayMs === undefined) {
          request.log.error({ err: error }, 'audit entry not written');
          return 'failed';
        }
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  };
  /**
   * No acknowledged request without its audit entry, where a retry is safe: a request under an
   * Idempotency-Key whose entry can't be written is answered 503 `audit_unavailable` instead, and its
   * claim is released so that the client's retry runs at once. The retry can't move money twice
   * (ledger ids derive from the key); it answers with the outcome (the committed transfer, say) and
   * writes the entry. Without a key a retry would be a new request and could pay twice: such a
   * request keeps its real answer, and the lost entry is logged as an error (the ledger still holds
   * the transfer itself).
   */
  const unacknowledged = async (
    request: FastifyRequest,
    reply: FastifyReply,
    claim: IdempotencyClaim,
  ): Promise<string> => {
    // A key claimed with its answer holds nothing yet: its answer was not written.
    if (claim.hash === undefined) {
      await pool
        .query('DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2', [claim.scope, claim.key])
        .catch((error: unknown) =>
          request.log.warn({ err: error }, 'idempotency claim kept until its lease ends'),
        );
    }
    reply.code(503).header('content-type', 'application/json; charset=utf-8');
    return JSON.stringify(envelope(new ChatPayError('audit_unavailable'), request.id));
  };
  // onSend, not onResponse: the row is written before the caller sees the answer (see unacknowledged
  // for when it can't be). A callback hook: most requests are reads, which pass straight
  // through without a promise.
  app.addHook('onSend', (request, reply, payload, done) => {
    const route = routeOf(request);
    const config = route.config;
    const read = request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS';
    if (
      (read && !config.auditReads) ||
      config.inbox ||
      !(route.url ?? '').startsWith('/v1') ||
      (request.ledgerAudit?.alongside.written === true && request.ledgerAudit.statusCode === reply.statusCode)
    ) {
      done(null, payload);
      return;
    }
    void answer(request, reply, payload)
      .then((body) => done(null, body))
      .catch((error: unknown) => done(error as Error));
  });
  /**
   * Audits the request's answer and stores it for replay; the body to send. An answer that claims
   * its key and finds another stored first (here, or in the ledger's statement, which then made no
   * transfer) is replaced by that one, which is audited instead.
   */
  const answer = async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    let body = payload;
    let replayed = reply.getHeader('idempotent-replayed') !== undefined;
    if (request.ledgerAudit?.alongside.refused === true) {
      body = await answerStored(pool, request, reply);
      replayed = true;
    }
    let written = await record(request, reply.statusCode, replayed, body);
    if (written === 'lost') {
      body = await answerStored(pool, request, reply);
      written = await record(request, reply.statusCode, true, body);
    }
    const claim = request.idempotency;
    return written !== 'failed' || !claim ? body : await unacknowledged(request, reply, claim);
  };
}
