import Fastify, { type FastifyInstance } from 'fastify';
import { isDatabaseReady, type Pool } from '../db/pool.ts';
import { redactPaths } from '../shared/logger.ts';

export interface AppDependencies {
  readonly pool: Pool;
  readonly logLevel: string;
}

/**
 * The HTTP application. `/health` says the process is alive (for restarts); `/ready` says it can serve
 * (for load balancers): the database answers.
 */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: deps.logLevel, redact: { paths: [...redactPaths], censor: '[redacted]' } },
    bodyLimit: 1024 * 1024,
    requestTimeout: 30_000,
    return503OnClosing: true,
  });
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_request, reply) => {
    const database = await isDatabaseReady(deps.pool);
    if (!database) reply.code(503);
    return {
      status: database ? 'ready' : 'unavailable',
      checks: { database: database ? 'ok' : 'unavailable' },
    };
  });
  return app;
}
