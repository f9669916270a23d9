import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Batcher } from '../../db/batcher.ts';
import type { Pool } from '../../db/pool.ts';
import { purgeOlderThan } from '../../db/purge.ts';
import { canonicalJson } from '../../ledger/rules.ts';
import { ChatPayError } from '../../shared/errors.ts';
import { sha256Hex } from '../../shared/hash.ts';
import { redactPaths } from '../../shared/logger.ts';
import { principalKey, routeOf } from '../context.ts';
import { envelope } from './errors.ts';

const keyPattern = /^[\x21-\x7e]{1,255}$/;
// A request still "in progress" after this long is taken to have died with its process; a retry
// may then run it again. Money paths stay exactly-once regardless: their ledger ids derive from the key.
const inProgressLeaseSeconds = 60;

interface StoredKey {
  request_hash: string;
  state: 'in_progress' | 'done';
  response_status: number | null;
  response_body: unknown;
  lease_expired: boolean;
}

function scopeOf(request: FastifyRequest): string {
  return principalKey(request.principal, request.ip);
}

// The secrets a body may carry (the names the logger redacts) stay out of the stored hash: it is a
// fast hash, and with the rest of the body known, a PIN (10^4 to 10^6 values) or a password would be
// recovered from it by whoever reads the table. Two requests differing only in them are the same
// request: the second replays the first's answer.
const secretFields: ReadonlySet<string> = new Set(redactPaths.filter((path) => /^[A-Za-z]+$/.test(path)));

function requestHash(request: FastifyRequest): string {
  const body = canonicalJson(request.body, secretFields);
  return sha256Hex(`${request.method} ${routeOf(request).url}\n${JSON.stringify(request.params)}\n${body}`);
}

/**
 * Stripe's Idempotency-Key semantics for every POST, scoped to the caller: the first response is
 * stored and replayed (status and body, with `Idempotent-Replayed: true`) for the same key and body;
 * the same key with another body is refused with `idempotency_key_reused`; a duplicate arriving while
 * the first is still running gets `idempotency_key_in_progress`. Responses of 5xx are not kept, so the
 * client may retry. Runs after validation and authentication, so bad input stores nothing.
 *
 * A key is claimed before the handler runs (a row `in_progress`, answered later), except where the
 * route's `claimWithAnswer` says otherwise for the request (`POST /v1/transfers` below the PIN
 * threshold): then the answer itself claims the key, in the statement that stores it, and the
 * request costs one statement less. Those handlers change nothing before the ledger statement that
 * moves their money, and that statement carries the answer (`auditWithLedger`), gated: if another
 * answer is stored under the key first, the transfer is not made. Any other answer (a refusal, a
 * retry finding its transfer) is stored by the audit hook the same way; whichever loses answers with
 * what is stored (`answerStored`). A duplicate arriving at this process while the first runs gets
 * `idempotency_key_in_progress` as before; one arriving at another API process at that moment runs,
 * and is answered with the first's answer (its transfer id is the first's, so it can't pay twice).
 */
export function registerIdempotency(app: FastifyInstance, pool: Pool): void {
  app.decorateRequest('idempotency', null);
  const claims = claimBatcher(pool);
  // Requests of this process whose keys are claimed with their answers, until they answer.
  const running = new Map<string, { readonly hash: string; readonly sinceMs: number }>();
  app.addHook('preHandler', async (request, reply) => {
    const config = routeOf(request).config;
    if (request.method !== 'POST' || config.idempotent === false) return;
    const key = request.headers['idempotency-key'];
    if (key === undefined) return;
    if (typeof key !== 'string' || !keyPattern.test(key)) throw new ChatPayError('idempotency_key_invalid');
    const scope = scopeOf(request);
    const hash = requestHash(request);
    if (config.claimWithAnswer?.(request) === true) {
      const id = `${scope}\n${key}`;
      const first = running.get(id);
      // An entry older than the lease is a request that never answered (it can't happen, but a stuck
      // entry must not refuse the key forever).
      if (first && performance.now() - first.sinceMs < inProgressLeaseSeconds * 1000) {
        throw new ChatPayError(
          first.hash === hash ? 'idempotency_key_in_progress' : 'idempotency_key_reused',
        );
      }
      running.set(id, { hash, sinceMs: performance.now() });
      request.idempotency = { scope, key, hash };
      return;
    }
    if (await claims.submit({ scope, key, hash })) {
      request.idempotency = { scope, key };
      return;
    }
    const found = foundUnder(await readStored(pool, scope, key), hash);
    if ('answer' in found) return replay(reply, found.answer);
    if (!found.leaseExpired || !(await takeOver(pool, scope, key))) throw new ChatPayError(found.refusal);
    request.idempotency = { scope, key };
  });

  // The answer is stored by the audit hook, in the same statement as the request's audit row (one
  // write per request instead of two). Here a claimed key whose request failed (5xx) is released, so
  // that the client may retry; and a request claiming with its answer leaves `running`.
  app.addHook('onSend', (request, reply, payload, done) => {
    const claim = request.idempotency;
    if (claim?.hash !== undefined) {
      const id = `${claim.scope}\n${claim.key}`;
      if (running.get(id)?.hash === claim.hash) running.delete(id);
    }
    if (
      !claim ||
      claim.hash !== undefined ||
      reply.statusCode < 500 ||
      reply.getHeader('idempotent-replayed')
    ) {
      done(null, payload);
      return;
    }
    pool
      .query('DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2', [claim.scope, claim.key])
      .then(() => done(null, payload), done);
  });
}

async function readStored(pool: Pool, scope: string, key: string): Promise<StoredKey | undefined> {
  const { rows } = await pool.query<StoredKey>({
    name: 'idempotency_read',
    text: `SELECT request_hash, state, response_status, response_body, locked_until < now() AS lease_expired
       FROM idempotency_keys WHERE principal = $1 AND key = $2`,
    values: [scope, key],
  });
  return rows[0];
}

/**
 * The answer of a request claiming its key with its answer, once another answer was stored under
 * the key first: that answer replayed, or `idempotency_key_reused` for another body, or
 * `idempotency_key_in_progress` while that one still runs. Sets the reply's status and headers and
 * returns the body.
 */
export async function answerStored(
  pool: Pool,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<string> {
  const claim = request.idempotency;
  const found = foundUnder(claim ? await readStored(pool, claim.scope, claim.key) : undefined, claim?.hash);
  if ('answer' in found) {
    replayHeaders(reply, found.answer);
    return JSON.stringify(found.answer.response_body);
  }
  const refusal = new ChatPayError(found.refusal);
  reply.code(refusal.status).header('content-type', 'application/json; charset=utf-8');
  return JSON.stringify(envelope(refusal, request.id));
}

/**
 * What a request finds under its key when it could not claim it: the stored answer to replay, or
 * the refusal (`leaseExpired`: a claim whose request seems to have died, which may be taken over).
 */
function foundUnder(
  stored: StoredKey | undefined,
  hash: string | undefined,
):
  | { readonly answer: StoredKey }
  | {
      readonly refusal: 'idempotency_key_in_progress' | 'idempotency_key_reused';
      readonly leaseExpired: boolean;
    } {
  // Deleted a moment ago (a failed request's claim): the client's retry will run.
  if (!stored) return { refusal: 'idempotency_key_in_progress', leaseExpired: false };
  if (stored.request_hash !== hash) return { refusal: 'idempotency_key_reused', leaseExpired: false };
  if (stored.state === 'done') return { answer: stored };
  return { refusal: 'idempotency_key_in_progress', leaseExpired: stored.lease_expired };
}

interface Claim {
  readonly scope: string;
  readonly key: string;
  readonly hash: string;
}

/**
 * Claims keys for the requests waiting at that moment in one statement; true for each key claimed.
 * A key twice in one batch (a client's concurrent duplicate) is claimed by its first request only.
 *
 * The claim commits without waiting for its WAL to reach disk (`synchronous_commit` off for this
 * transaction only: `set_config(…, true)` ends with it, so the pooled connection stays synchronous).
 * Losing a claim in a crash is harmless, and only a claim can be lost: WAL is flushed in order, so
 * the first durable write of the request's handler (a ledger batch, a new row) also makes every
 * earlier claim durable. A claim lost with the server was one whose request had changed nothing;
 * the client's retry claims it again and runs. It saves one disk flush per batch on every POST:
 * 650 → 180 µs for a one-row commit on this machine (p50), 3.0 → 1.0 ms at p99.
 */
function claimBatcher(pool: Pool): Batcher<Claim, boolean> {
  return new Batcher<Claim, boolean>({
    inFlightMax: 2,
    isolateFailures: true,
    run: async (batch) => {
      const first = new Map<string, Claim>();
      for (const claim of batch) {
        const id = `${claim.scope}\n${claim.key}`;
        if (!first.has(id)) first.set(id, claim);
      }
      const unique = [...first.values()];
      const { rows } = await pool.query<{ principal: string; key: string }>({
        name: 'idempotency_claim_batch',
        text: `WITH no_flush AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true))
          INSERT INTO idempotency_keys (principal, key, request_hash, state, locked_until)
          SELECT principal, key, request_hash, 'in_progress', now() + make_interval(secs => $4)
            FROM unnest($1::text[], $2::text[], $3::text[]) AS t(principal, key, request_hash), no_flush
          ON CONFLICT (principal, key) DO NOTHING
          RETURNING principal, key`,
        values: [
          unique.map((c) => c.scope),
          unique.map((c) => c.key),
          unique.map((c) => c.hash),
          inProgressLeaseSeconds,
        ],
      });
      const claimed = new Set(rows.map((r) => first.get(`${r.principal}\n${r.key}`)));
      return batch.map((claim) => claimed.has(claim));
    },
  });
}

async function takeOver(pool: Pool, scope: string, key: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE idempotency_keys SET locked_until = now() + make_interval(secs => $3)
      WHERE principal = $1 AND key = $2 AND state = 'in_progress' AND locked_until < now()`,
    [scope, key, inProgressLeaseSeconds],
  );
  return rowCount === 1;
}

function replay(reply: FastifyReply, stored: StoredKey): FastifyReply {
  return replayHeaders(reply, stored)
    .serializer((body: unknown) => JSON.stringify(body))
    .send(stored.response_body);
}

function replayHeaders(reply: FastifyReply, stored: StoredKey): FastifyReply {
  return reply
    .code(stored.response_status ?? 200)
    .header('Idempotent-Replayed', 'true')
    .header('content-type', 'application/json; charset=utf-8');
}

/** A stable ledger id for a money-moving request: the same key from the same caller, the same id. */
export function idempotentId(prefix: string, request: FastifyRequest, fallback: () => string): string {
  const claim = request.idempotency;
  if (!claim) return fallback();
  const digest = sha256Hex(`${claim.scope}\n${claim.key}`).slice(0, 32);
  return `${prefix}_${digest}`;
}

/** Deletes keys older than the retention period. Returns how many went. */
export function purgeIdempotencyKeys(pool: Pool, retentionHours: number): Promise<number> {
  return purgeOlderThan(pool, 'idempotency_keys', 'created_at', retentionHours);
}
