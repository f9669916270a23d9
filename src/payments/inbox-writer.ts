/**
 * Group commit for verified webhooks. Each one must be durable before we answer the provider, and a
 * commit per webhook costs a WAL flush each: at provider burst rates the flushes, not the work, are
 * the limit. Webhooks arriving while a batch commits wait for the next one, which stores them all,
 * and queues their jobs, in one statement (so one transaction: no event without its job). At most
 * one batch is in flight; a batch holds at most `batchMax` events (db/batcher.ts).
 */
import { Batcher } from '../db/batcher.ts';
import type { Pool } from '../db/pool.ts';

export interface VerifiedEvent {
  readonly id: string;
  readonly provider: string;
  readonly eventId: string;
  readonly headers: string;
  readonly body: string;
  readonly ip: string | null;
}

const batchMax = 500;
const queueMax = 50_000;

// Duplicates (a redelivery, even inside one batch) are skipped by the unique index; only rows
// actually inserted get a job.
const insertBatch = `
  WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::text[])
      AS t(id, provider, event_id, headers, body, ip)),
  stored AS (
    INSERT INTO webhook_events (id, provider, event_id, verified, headers, body, ip)
    SELECT id, provider, event_id, true, headers, body, ip FROM input
    ON CONFLICT (provider, event_id) WHERE event_id IS NOT NULL DO NOTHING
    RETURNING id),
  queued AS (
    SELECT count(*) FROM graphile_worker.add_jobs(ARRAY(
      SELECT ROW('webhook_apply', json_build_object('id', id), NULL, NULL, 12, 'webhook:' || id, NULL, NULL)
        ::graphile_worker.job_spec FROM stored)))
  SELECT stored.id FROM stored, queued`;

export class InboxWriter {
  readonly #batches: Batcher<VerifiedEvent, boolean>;

  constructor(pool: Pool) {
    this.#batches = new Batcher({
      batchMax,
      inFlightMax: 1,
      queueMax,
      // One event the database refuses must not turn its neighbours away (they would all be re-sent
      // together, and refused together, again).
      isolateFailures: true,
      run: async (events) => {
        const { rows } = await pool.query<{ id: string }>(insertBatch, [
          events.map((e) => e.id),
          events.map((e) => e.provider),
          events.map((e) => e.eventId),
          events.map((e) => e.headers),
          events.map((e) => e.body),
          events.map((e) => e.ip),
        ]);
        const stored = new Set(rows.map((r) => r.id));
        return events.map((e) => stored.has(e.id));
      },
    });
  }

  /** Resolves once the event is committed: true if stored now, false if it was already stored. */
  store(event: VerifiedEvent): Promise<boolean> {
    return this.#batches.submit(event);
  }
}
