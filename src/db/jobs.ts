/**
 * Enqueueing jobs from SQL. The queue is graphile-worker's, in the same PostgreSQL: a job added in
 * the statement or transaction that changes state commits with it or not at all (a transactional
 * outbox: no lost and no phantom jobs). Domain code enqueues through these helpers; `src/jobs/` runs
 * the jobs.
 */
import { Logger as GraphileLogger, runMigrations } from 'graphile-worker';
import type { Logger } from '../shared/logger.ts';
import type { Pool, PoolClient } from './pool.ts';

/** Every job ChatPay runs. */
export const jobNames = [
  'webhook_apply',
  'payout_send',
  'merchant_webhook_deliver',
  'telegram_update',
  'payments_reconcile',
  'held_transfers_expire',
  'held_transfers_claim',
  'chat_notice',
  'idempotency_purge',
  'daily_stats_aggregate',
] as const;
export type JobName = (typeof jobNames)[number];

export interface EnqueueOptions {
  /** At most one queued job per key: a second add with the same key replaces the first's payload. */
  readonly jobKey?: string;
  readonly runAt?: Date;
  readonly maxAttempts?: number;
}

/** Adds a job on `db` (a pool, or a client inside the caller's transaction). */
export async function enqueue(
  db: Pool | PoolClient,
  name: JobName,
  payload: Readonly<Record<string, unknown>>,
  options: EnqueueOptions = {},
): Promise<void> {
  await db.query(
    `SELECT graphile_worker.add_job($1, $2::json, job_key => $3, run_at => $4, max_attempts => $5)`,
    [name, JSON.stringify(payload), options.jobKey ?? null, options.runAt ?? null, options.maxAttempts ?? 25],
  );
}

/** Installs or upgrades the queue's own schema (`graphile_worker`). Safe to run concurrently. */
export async function migrateJobQueue(pool: Pool, logger?: Logger): Promise<void> {
  await runMigrations({ pgPool: pool, logger: graphileLogger(logger) });
}

/** graphile-worker's logger, writing through pino (debug chatter stays at debug). */
export function graphileLogger(logger: Logger | undefined): GraphileLogger {
  return new GraphileLogger(() => (level, message, meta) => {
    if (!logger) return;
    const fields = { component: 'jobs', ...meta };
    if (level === 'error') logger.error(fields, message);
    else if (level === 'warning') logger.warn(fields, message);
    else if (level === 'info') logger.info(fields, message);
    else logger.debug(fields, message);
  });
}

export interface DeadJob {
  readonly id: string;
  readonly task: string;
  readonly attempts: number;
  /** The last error message (first line, bounded): what an operator needs to decide. */
  readonly lastError: string | null;
  readonly payload: unknown;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Jobs that used up their attempts: they stay in the queue, not run, until retried. */
export async function listDeadJobs(pool: Pool, limit: number): Promise<DeadJob[]> {
  const { rows } = await pool.query<{
    id: string;
    task_identifier: string;
    attempts: number;
    last_error: string | null;
    payload: unknown;
    created_at: Date;
    updated_at: Date;
  }>(
    `SELECT j.id::text, j.task_identifier, j.attempts, j.last_error, p.payload, j.created_at, j.updated_at
       FROM graphile_worker.jobs j JOIN graphile_worker._private_jobs p ON p.id = j.id
      WHERE j.attempts >= j.max_attempts AND j.locked_at IS NULL
      ORDER BY j.updated_at DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    id: r.id,
    task: r.task_identifier,
    attempts: r.attempts,
    lastError: r.last_error?.split('\n')[0]?.slice(0, 500) ?? null,
    payload: r.payload,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

/** Gives a dead job a fresh set of attempts, now. False when no dead job has this id. */
export async function retryDeadJob(pool: Pool, id: string): Promise<boolean> {
  if (!/^[0-9]{1,19}$/.test(id)) return false;
  const { rows } = await pool.query(
    `SELECT id FROM graphile_worker.reschedule_jobs(
       ARRAY(SELECT id FROM graphile_worker._private_jobs WHERE id = $1::bigint AND attempts >= max_attempts),
       run_at => now(), attempts => 0)`,
    [id],
  );
  return rows.length > 0;
}
