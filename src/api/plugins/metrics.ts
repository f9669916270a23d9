import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Pool } from '../../db/pool.ts';
import type { Ledger } from '../../ledger/index.ts';
import { ChatPayError } from '../../shared/errors.ts';
import { sameSecret } from '../../shared/hash.ts';
import type { Secret } from '../../shared/secret.ts';
import { routeOf } from '../context.ts';
import { bearerToken } from './auth.ts';

/** `open`: anyone who reaches the port (development); a token: its bearer only; `closed`: no one. */
export type MetricsAccess = 'open' | 'closed' | Secret;

/**
 * Prometheus metrics at `/metrics`: request latency by route and status, ledger batch sizes and
 * durations, database pool usage, and the process's own (event loop lag, memory). Each app has its
 * own registry, so several apps in one process (tests) don't collide.
 *
 * Metrics tell traffic volumes, error rates and route names, so in production they are served only to
 * the holder of METRICS_TOKEN (Prometheus's `authorization` setting), compared in constant time.
 */
export function registerMetrics(
  app: FastifyInstance,
  deps: { pool: Pool; ledger: Ledger },
  access: MetricsAccess = 'open',
): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'chatpay_' });
  const requests = new Histogram({
    name: 'chatpay_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: 'chatpay_ledger_batch_transfers',
    help: 'Transfers per ledger batch.',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096],
    registers: [registry],
  });
  const batchSeconds = new Histogram({
    name: 'chatpay_ledger_batch_duration_seconds',
    help: 'Time from a batch starting to commit until it committed.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const retried = new Counter({
    name: 'chatpay_ledger_batches_retried_total',
    help: 'Batches retried: after stale known totals, or under locks after losing a race with another writer.',
    registers: [registry],
  });
  const readSkipped = new Counter({
    name: 'chatpay_ledger_batches_read_skipped_total',
    help: 'Batches committed without reading, on account totals this process knew.',
    registers: [registry],
  });
  new Gauge({
    name: 'chatpay_db_pool_connections',
    help: 'Database pool connections by state.',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.set({ state: 'total' }, deps.pool.totalCount);
      this.set({ state: 'idle' }, deps.pool.idleCount);
      this.set({ state: 'waiting' }, deps.pool.waitingCount);
    },
  });
  const unsubscribe = deps.ledger.onBatch((stats) => {
    batchSize.observe(stats.transfers);
    batchSeconds.observe(stats.durationMs / 1000);
    if (stats.attempts > 1) retried.inc();
    if (stats.readSkipped) readSkipped.inc();
  });
  app.addHook('onClose', async () => unsubscribe());
  app.addHook('onResponse', (request, reply, done) => {
    const route = routeOf(request).url ?? 'unmatched';
    requests.observe(
      { route, method: request.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    assertMayScrape(request, access);
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return registry;
}

function assertMayScrape(request: FastifyRequest, access: MetricsAccess): void {
  if (access === 'open') return;
  const given = bearerToken(request.headers.authorization);
  if (access === 'closed' || given === undefined || !sameSecret(given, access.reveal())) {
    throw new ChatPayError('unauthenticated');
  }
}
