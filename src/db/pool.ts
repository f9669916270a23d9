import pg from 'pg';
import type { Logger } from '../shared/logger.ts';
import type { Secret } from '../shared/secret.ts';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export interface PoolOptions {
  readonly url: Secret;
  readonly max: number;
  readonly statementTimeoutMs: number;
  readonly logger: Logger;
  /** Shown in `pg_stat_activity`, so an operator can tell ChatPay's roles apart. */
  readonly applicationName?: string;
  readonly connectionTimeoutMs?: number;
}

/**
 * A pg pool with the listeners a long-running process needs. Without the `error` listener an idle
 * client losing its connection (a PostgreSQL restart, a failover) emits an unhandled `error` and
 * kills the process; with it the pool drops that client and makes a new one on the next query.
 */
export function createPool(options: PoolOptions): Pool {
  const pool = new pg.Pool({
    connectionString: options.url.reveal(),
    max: options.max,
    application_name: options.applicationName ?? 'chatpay',
    statement_timeout: options.statementTimeoutMs,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (error) => {
    options.logger.warn(
      { err: { message: error.message, code: (error as { code?: string }).code } },
      'idle database connection lost',
    );
  });
  return pool;
}

/** Runs `work` in one transaction on one client; rolls back on any error. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch {
      broken = true;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

/** True when the database answers a trivial query within `timeoutMs`. */
export async function isDatabaseReady(pool: Pool, timeoutMs = 2_000): Promise<boolean> {
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  const probe = pool.query('SELECT 1').then(
    () => true,
    () => false,
  );
  return Promise.race([probe, timeout]);
}
