/**
 * Releases the jobs of worker processes that died.
 *
 * graphile-worker locks a job to the worker (or worker pool) that took it, and only that worker
 * unlocks it: when it finishes, or when it shuts down gracefully. A process that dies without
 * shutting down (SIGKILL, out of memory, a lost machine) leaves its jobs locked for four hours,
 * graphile-worker's backstop: a payout, a merchant webhook or a bot answer held up that long.
 *
 * Each worker process keeps a row in `job_worker_heartbeats` (migration 0016) with the lock ids it
 * works under (its pool's and its workers', from graphile-worker's events) and refreshes it every
 * `intervalMs`. Every process, at the same pace, releases (`graphile_worker.force_unlock_workers`)
 * the jobs locked for longer than `staleAfterMs` under an id no fresh row lists, and deletes the stale
 * rows. The released jobs run again on a live worker: jobs are written to be idempotent
 * (exactly-once comes from their ids, not from running once). During a rolling upgrade, a job that a
 * worker from before heartbeats has run for longer than `staleAfterMs` is run again too.
 *
 * A process that is alive but stalled past `staleAfterMs` (a stopped VM) loses its locks too; when it
 * resumes, graphile-worker's completion of a job it no longer holds does nothing, and the job's own
 * idempotency makes the second run harmless.
 */
import type { Pool } from '../db/pool.ts';
import { newId } from '../shared/ids.ts';
import type { Logger } from '../shared/logger.ts';

export interface HeartbeatOptions {
  readonly pool: Pool;
  readonly logger: Logger;
  /** How often the row is refreshed and dead processes looked for (default 10 s). */
  readonly intervalMs?: number;
  /** A row older than this is a dead process's (default 60 s). */
  readonly staleAfterMs?: number;
}

export class WorkerHeartbeat {
  readonly processId = newId('wkp');
  readonly #pool: Pool;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #staleAfterMs: number;
  readonly #lockIds = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> = Promise.resolve();

  constructor(options: HeartbeatOptions) {
    this.#pool = options.pool;
    this.#logger = options.logger;
    this.#intervalMs = options.intervalMs ?? 10_000;
    this.#staleAfterMs = options.staleAfterMs ?? 60_000;
  }

  /** Records a lock id (a worker pool's or a worker's) at once: jobs may be locked under it next. */
  track(lockId: string): Promise<void> {
    if (this.#lockIds.has(lockId)) return this.#beating;
    this.#lockIds.add(lockId);
    return this.#beat();
  }

  /** Writes the row, then keeps it fresh and sweeps for dead processes every interval. */
  async start(): Promise<void> {
    await this.#beat();
    await this.sweep();
    this.#timer = setInterval(() => {
      void this.#beat()
        .then(() => this.sweep())
        .catch((error: unknown) => this.#logger.warn({ err: error }, 'worker heartbeat failed'));
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /**
   * Releases the jobs whose lock belongs to no live process: locked for longer than `staleAfterMs`
   * under an id that no fresh heartbeat lists. That covers a process that stopped beating, one that
   * died before its first beat listed the id (its first milliseconds), and workers from before
   * heartbeats. A live process's long job is safe: its ids are in its fresh row. Also deletes stale
   * rows. Returns the lock ids released.
   */
  async sweep(): Promise<string[]> {
    const { rows } = await this.#pool.query<{ lock_ids: string[] }>(
      `WITH dead AS (
         DELETE FROM job_worker_heartbeats
          WHERE seen_at < now() - make_interval(secs => $1) AND process_id <> $2),
       live AS (
         SELECT unnest(lock_ids) AS id FROM job_worker_heartbeats
          WHERE seen_at >= now() - make_interval(secs => $1) OR process_id = $2),
       orphaned AS (
         SELECT coalesce(array_agg(DISTINCT j.locked_by), '{}') AS lock_ids FROM graphile_worker.jobs j
          WHERE j.locked_by IS NOT NULL AND j.locked_at < now() - make_interval(secs => $1)
            AND NOT EXISTS (SELECT 1 FROM live WHERE live.id = j.locked_by))
       SELECT lock_ids, graphile_worker.force_unlock_workers(lock_ids) FROM orphaned`,
      [this.#staleAfterMs / 1000, this.processId],
    );
    const released = rows[0]?.lock_ids ?? [];
    if (released.length > 0) {
      this.#logger.warn({ lockIds: released }, 'released the jobs of worker processes that are gone');
    }
    return released;
  }

  /**
   * Stops beating and removes the row (after a graceful shutdown, which unlocks its own jobs). Never
   * fails a shutdown: with the database gone the row stays, goes stale, and another worker's sweep
   * deletes it (releasing nothing that is still locked).
   */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    try {
      await this.#beating.catch(() => undefined);
      await this.#pool.query('DELETE FROM job_worker_heartbeats WHERE process_id = $1', [this.processId]);
    } catch (error) {
      this.#logger.warn({ err: error }, 'worker heartbeat row left to expire');
    }
  }

  #beat(): Promise<void> {
    // One write at a time, each with every id known by then.
    this.#beating = this.#beating
      .catch(() => undefined)
      .then(async () => {
        await this.#pool.query(
          `INSERT INTO job_worker_heartbeats (process_id, lock_ids, seen_at) VALUES ($1, $2, now())
           ON CONFLICT (process_id) DO UPDATE SET lock_ids = EXCLUDED.lock_ids, seen_at = now()`,
          [this.processId, [...this.#lockIds]],
        );
      });
    return this.#beating;
  }
}
