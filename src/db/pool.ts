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
 * A pooled connection whose `query(config)` without a callback hands pg a callback, and makes the
 * promise itself, instead of taking pg's own promise form. With pg's promise, each finished
 * statement (its parameters and its result) stayed reachable to V8's young-generation collector
 * after it had answered, so every statement running at one collection was copied into the old
 * generation at the next, where only a full collection frees it. pg makes that promise's callback in
 * the scope that holds the statement (statement -> callback -> scope -> statement). A copy of pg's
 * promise path with the callback made outside that scope promotes nothing measurable, and neither
 * does pg's callback form (which `pool.query` uses inside) or the callback made here. Why that cycle
 * outlives the statement for the young-generation collector was not found.
 *
 * Measured with `--trace-gc-nvp`. In isolation (a client checked out for each of 700 statements a
 * second with ~2 KB of JSON parameters): 470-500 KB promoted per young-generation collection through
 * pg's promise, 16 KB through a callback. In `bench:api` at 2,000 transfers/s (two alternating pairs,
 * the ledger's batches being the checked-out clients' statements): 661-719 against 59-63 KB promoted
 * per collection, and pauses of 6.6-7.0 against 2.7-3.5 ms on average. A rejection keeps pg's stack
 * that leads back to the caller rather than to the socket's read.
 */
class Client extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's overloads all end here; only the promise form is changed.
  override query(config: any, values?: any, callback?: any): any {
    if (
      typeof callback === 'function' ||
      typeof values === 'function' ||
      typeof config?.submit === 'function' ||
      typeof config?.callback === 'function'
    ) {
      return super.query(config, values, callback);
    }
    return new Promise((resolve, reject) => {
      super.query(config, values, (error: Error | null, result: unknown) =>
        error ? reject(error) : resolve(result),
      );
    }).catch((error: Error) => {
      Error.captureStackTrace(error);
      throw error;
    });
  }
}

/**
 * A pg pool with the listeners a long-running process needs. A client that loses its connection (a
 * PostgreSQL restart, a failover, pg_terminate_backend) emits `error`; unheard, that kills the process.
 * The pool hears it for idle clients (then drops them and connects anew on the next query), but it
 * removes its listener while a client is checked out, so each client also gets one of its own.
 */
export function createPool(options: PoolOptions): Pool {
  const pool = new pg.Pool({
    Client,
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
