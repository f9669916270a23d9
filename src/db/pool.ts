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
  /**
   * Commit without waiting for the WAL flush. Only for records whose loss in a PostgreSQL crash is
   * harmless because something durable covers them (idempotency records: the ledger's unique ids).
   */
  readonly asynchronousCommit?: boolean;
}

/**
 * A pg pool with the listeners a long-running process needs. A client that loses its connection (a
 * PostgreSQL restart, a failover, pg_terminate_backend) emits `error`; unheard, that kills the process.
 * The pool hears it for idle clients (then drops them and connects anew on the next query), but it
 * removes its listener while a client is checked out, so each client also gets one of its own.
 */
export function createPool(options: PoolOptions): Pool {
  const pool = new pg.Pool({
    connectionString: options.url.reveal(),
    max: options.max,
    application_name: options.applicationName ?? 'chatpay',
    statement_timeout: options.statementTimeoutMs,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    ...(options.asynchronousCommit ? { options: '-c synchronous_commit=off' } : {}),
  });
  const lost = (error: Error) => {
    const code = (error as { code?: string }).code;
    options.logger.warn({ err: { message: error.message, code } }, 'database connection lost');
  };
  pool.on('error', lost);
  // Checked-out clients: a query in progress fails with the same error; the owner then releases the
  // client as broken.
  pool.on('connect', (client) => client.on('error', lost));
  return pool;
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

/**
 * Runs `work` in one transaction on a client of its own: committed when it returns, rolled back when
 * it throws. A client whose rollback fails is destroyed rather than handed back to the pool broken.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
