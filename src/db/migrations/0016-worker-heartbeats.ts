import { type Kysely, sql } from 'kysely';

/**
 * Job worker processes' heartbeats (src/jobs/heartbeat.ts). graphile-worker keeps a job locked by
 * its worker until that worker finishes it; a worker that dies without shutting down (SIGKILL, out of
 * memory, a lost machine) leaves its jobs locked for four hours, graphile-worker's own backstop. Each
 * process records the lock ids it works under here and refreshes the row; a row that stops being
 * refreshed belongs to a dead process, and any live worker releases its locks.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE job_worker_heartbeats (
    process_id text PRIMARY KEY,
    lock_ids text[] NOT NULL,
    seen_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE job_worker_heartbeats`.execute(db);
}
