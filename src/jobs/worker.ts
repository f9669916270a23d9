/**
 * The job worker: graphile-worker over ChatPay's PostgreSQL. Jobs are enqueued in the same
 * transaction as the state change they follow (src/db/jobs.ts), picked up within milliseconds
 * (LISTEN/NOTIFY), run at least once and written to be idempotent. A job that keeps failing is
 * retried with exponential backoff up to its `max_attempts`, then stays in the queue as a dead job
 * for an operator to inspect and retry. The jobs of a worker process that dies without shutting down
 * are released within a minute by the others (heartbeat.ts), not after graphile-worker's four hours.
 */
import { EventEmitter } from 'node:events';
import { type Runner, run, type TaskList, type WorkerEvents } from 'graphile-worker';
import { graphileLogger, type JobName } from '../db/jobs.ts';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../shared/logger.ts';
import { type HeartbeatOptions, WorkerHeartbeat } from './heartbeat.ts';

export interface WorkerOptions {
  readonly pool: Pool;
  readonly logger: Logger;
  /** Jobs run at once in this process. */
  readonly concurrency: number;
  readonly tasks: Readonly<Record<JobName, (payload: Record<string, unknown>) => Promise<unknown>>>;
  /** graphile-worker crontab lines (`* * * * * payments_reconcile`). */
  readonly crontab: string;
  /** How often to look for jobs when no notification arrives (ms). */
  readonly pollIntervalMs?: number;
  /** Heartbeat pace and how long a silent process is given (tests shorten them). */
  readonly heartbeat?: Pick<HeartbeatOptions, 'intervalMs' | 'staleAfterMs'>;
}

export interface Worker {
  stop(): Promise<void>;
}

export interface RunningWorker extends Worker {
  /** This process's heartbeat: its id and lock ids are in `job_worker_heartbeats`. */
  readonly heartbeat: WorkerHeartbeat;
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const logger = options.logger.child({ component: 'worker' });
  const taskList: TaskList = {};
  for (const [name, handler] of Object.entries(options.tasks)) {
    taskList[name] = async (payload, helpers) => {
      const started = performance.now();
      try {
        await handler((payload ?? {}) as Record<string, unknown>);
        logger.debug(
          { job: name, id: helpers.job.id, ms: Math.round(performance.now() - started) },
          'job done',
        );
      } catch (error) {
        logger.warn(
          { job: name, id: helpers.job.id, attempt: helpers.job.attempts, err: error },
          'job failed; it will be retried',
        );
        throw error;
      }
    };
  }
  const heartbeat = new WorkerHeartbeat({ pool: options.pool, logger, ...options.heartbeat });
  await heartbeat.start();
  // Every id graphile-worker locks jobs under is recorded before it can lock anything with it.
  const events = new EventEmitter() as WorkerEvents;
  const tracking: Promise<void>[] = [];
  events.on('pool:create', ({ workerPool }) => tracking.push(heartbeat.track(workerPool.id)));
  events.on('worker:create', ({ worker }) => tracking.push(heartbeat.track(worker.workerId)));
  const runner: Runner = await run({
    pgPool: options.pool,
    events,
    concurrency: options.concurrency,
    noHandleSignals: true,
    pollInterval: options.pollIntervalMs ?? 1_000,
    taskList,
    crontab: options.crontab,
    logger: graphileLogger(logger),
    // Fetch (and lock) jobs in batches and complete them in batches: under a backlog, one query per
    // job to find it and one to complete it were the worker's limit, not the jobs themselves.
    preset: {
      worker: {
        localQueue: { size: options.concurrency * 4 },
        completeJobBatchDelay: 0,
        failJobBatchDelay: 0,
      },
    },
  });
  await Promise.all(tracking);
  return {
    heartbeat,
    async stop() {
      await runner.stop();
      await heartbeat.stop();
    },
  };
}
