/**
 * A worker process that dies without shutting down leaves its jobs locked (graphile-worker releases
 * them only after four hours). Live workers notice its heartbeat stopped and release them, and the job
 * runs again on a live worker. A process that still beats keeps its jobs. A lock under an id that no
 * heartbeat ever listed (a process that died in its first milliseconds) is released too, once old.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { enqueue, type JobName, jobNames } from '../../src/db/jobs.ts';
import { type RunningWorker, startWorker } from '../../src/jobs/index.ts';
import { freshDatabase, quietLogger } from '../helpers/database.ts';

const { pool } = await freshDatabase();

/** A worker whose `chat_notice` jobs record who ran them; `hang` makes them never finish. */
async function worker(name: string, runs: string[], options: { hang: boolean; intervalMs: number }) {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tasks = {} as Record<JobName, (payload: Record<string, unknown>) => Promise<unknown>>;
  for (const job of jobNames) tasks[job] = async () => undefined;
  tasks.chat_notice = async () => {
    runs.push(name);
    if (options.hang) await released;
  };
  const running: RunningWorker = await startWorker({
    pool,
    logger: quietLogger,
    concurrency: 1,
    crontab: '',
    pollIntervalMs: 100,
    tasks,
    // 3 s: a margin for the checks that a beating worker keeps its job on a slow machine.
    heartbeat: { intervalMs: options.intervalMs, staleAfterMs: 3_000 },
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    release();
    await running.stop();
  };
  // A failing assertion must not leave a hung job (and its worker) behind the test.
  onTestFinished(stop);
  return { running, stop };
}

async function lockedBy(): Promise<(string | null)[]> {
  const { rows } = await pool.query<{ locked_by: string | null }>(
    `SELECT locked_by FROM graphile_worker.jobs WHERE task_identifier = 'chat_notice'`,
  );
  return rows.map((r) => r.locked_by);
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('worker heartbeats', () => {
  it("releases a dead worker's locked job to a live worker, and leaves a beating worker's alone", async () => {
    const runs: string[] = [];
    // A: takes the job and hangs on it; it writes its heartbeat once and never again (an hour's pace).
    const a = await worker('a', runs, { hang: true, intervalMs: 3_600_000 });
    await enqueue(pool, 'chat_notice', {});
    await until(async () => runs.includes('a'));
    const [lock] = await lockedBy();
    expect(lock).not.toBeNull();
    const { rows: rowsA } = await pool.query<{ lock_ids: string[] }>(
      'SELECT lock_ids FROM job_worker_heartbeats WHERE process_id = $1',
      [a.running.heartbeat.processId],
    );
    expect(rowsA[0]?.lock_ids).toContain(lock);

    // B: a live worker. While A's row is fresh, B's sweeps release nothing and A keeps the job.
    const b = await worker('b', runs, { hang: false, intervalMs: 100 });
    expect(await b.running.heartbeat.sweep()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await lockedBy()).toEqual([lock]);
    expect(runs).toEqual(['a']);

    // A goes silent past the limit (as a killed process does): B releases its locks and runs the job.
    await pool.query(
      `UPDATE job_worker_heartbeats SET seen_at = now() - interval '1 minute' WHERE process_id = $1`,
      [a.running.heartbeat.processId],
    );
    await until(async () => runs.includes('b'));
    await until(async () => (await lockedBy()).length === 0); // done, and gone from the queue
    const { rows } = await pool.query<{ process_id: string }>('SELECT process_id FROM job_worker_heartbeats');
    expect(rows.map((r) => r.process_id)).toEqual([b.running.heartbeat.processId]);

    await a.stop();
    await b.stop();
    expect((await pool.query('SELECT 1 FROM job_worker_heartbeats')).rowCount).toBe(0);
    expect(runs).toEqual(['a', 'b']);
  });

  it('releases an old lock under an id no heartbeat lists, and keeps a recent one for now', async () => {
    const runs: string[] = [];
    await enqueue(pool, 'chat_notice', {});
    await enqueue(pool, 'chat_notice', {});
    // Locked as by a process that died before its first heartbeat listed its id: one a minute ago,
    // one just now (graphile-worker's private table; its public view is read-only).
    const { rows } = await pool.query<{ id: string }>(
      `SELECT id FROM graphile_worker.jobs WHERE task_identifier = 'chat_notice' ORDER BY id`,
    );
    const [oldJob, newJob] = rows.map((r) => r.id);
    await pool.query(
      `UPDATE graphile_worker._private_jobs SET locked_by = 'ghost-old', locked_at = now() - interval '1 minute'
        WHERE id = $1`,
      [oldJob],
    );
    await pool.query(
      `UPDATE graphile_worker._private_jobs SET locked_by = 'ghost-new', locked_at = now() WHERE id = $1`,
      [newJob],
    );
    const b = await worker('b', runs, { hang: false, intervalMs: 100 });
    await until(async () => runs.length === 1);
    // The old job ran; it stays locked by B's own worker until graphile-worker marks it done.
    await until(async () => (await lockedBy()).length === 1);
    expect(await lockedBy()).toEqual(['ghost-new']);
    expect(runs).toEqual(['b']);
    // Once it too is older than the limit, it goes the same way.
    await until(async () => runs.length === 2);
    expect(await lockedBy()).toEqual([]);
    await b.stop();
  });
});
