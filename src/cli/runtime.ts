import type { Config } from '../config/schema.ts';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../db/embedded.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { createPool, type Pool } from '../db/pool.ts';
import { Ledger } from '../ledger/index.ts';
import type { Logger } from '../shared/logger.ts';
import type { Secret } from '../shared/secret.ts';

export interface Database {
  readonly pool: Pool;
  readonly url: Secret;
  /** Present when ChatPay started its own PostgreSQL. */
  readonly embedded: EmbeddedPostgres | undefined;
  close(): Promise<void>;
}

/** Connects to `DATABASE_URL`, or starts the embedded PostgreSQL when it is unset. */
export async function openDatabase(
  config: Config,
  logger: Logger,
  applicationName: string,
): Promise<Database> {
  const embedded = config.database.url
    ? undefined
    : await startEmbeddedPostgres({
        dataDir: config.dataDir,
        logger: logger.child({ component: 'postgres' }),
      });
  const url = (config.database.url ?? embedded?.url) as Secret;
  const pool = createPool({
    url,
    max: config.database.poolMax,
    statementTimeoutMs: config.database.statementTimeoutMs,
    logger,
    applicationName,
  });
  return {
    pool,
    url,
    embedded,
    async close() {
      await pool.end();
      await embedded?.stop();
    },
  };
}

export async function migrate(database: Database, logger: Logger): Promise<void> {
  const results = await migrateToLatest(database.pool);
  for (const result of results)
    logger.info({ migration: result.migrationName, status: result.status }, 'migration');
}

export function createLedger(config: Config, pool: Pool, logger: Logger): Ledger {
  return new Ledger({ pool, logger: logger.child({ component: 'ledger' }), ...config.ledger });
}

/**
 * Runs `stop` once on the first SIGINT or SIGTERM; a second signal exits at once, for an operator
 * whose graceful stop is stuck.
 */
export function onShutdownSignal(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
