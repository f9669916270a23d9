import { once } from 'node:events';
import type pg from 'pg';
import { pino } from 'pino';
import { createPool, type Pool } from '../../src/db/pool.ts';
import type { Secret } from '../../src/shared/secret.ts';

/** Warnings of the benchmark's own database work, on stderr: stdout carries only the result lines. */
export const stderrLogger = pino({ level: 'warn', base: { service: 'chatpay-bench' } }, pino.destination(2));

export interface ClosablePool {
  readonly pool: Pool;
  /** Resolves once every connection has really closed. */
  close(): Promise<void>;
}

/**
 * A pool whose close waits for its connections to be gone. `pool.end()` resolves as soon as it has
 * asked them to close; dropping the database right after (WITH (FORCE)) would then terminate them
 * mid-goodbye, and each would log a spurious "database connection lost".
 */
export function closablePool(url: Secret, max: number): ClosablePool {
  const pool = createPool({
    url,
    max,
    statementTimeoutMs: 120_000,
    logger: stderrLogger,
    applicationName: 'chatpay-bench',
  });
  const open = new Set<pg.PoolClient>();
  pool.on('connect', (client) => {
    open.add(client);
    client.once('end', () => open.delete(client));
  });
  return {
    pool,
    async close() {
      const ended = [...open].map((client) => once(client, 'end'));
      await pool.end();
      await Promise.all(ended);
    },
  };
}
