/**
 * The daily aggregates the dashboard reads (`daily_stats`, `daily_active_users`), recomputed from
 * the payments and the ledger for a window of UTC days. The dashboard then reads a few hundred rows
 * whatever the size of the history.
 */
import { inTransaction, type Pool } from '../db/pool.ts';

export interface AggregateOptions {
  /** The mode of people's wallets (`WALLETS_MODE`): their transfers count in it. */
  readonly walletsMode: 'test' | 'live';
  /** Default: the current time. */
  readonly now?: Date;
  /** UTC days recomputed, ending with today's. Default 2: a payment settles the day after it began. */
  readonly days?: number;
}

export interface AggregateResult {
  /** First day recomputed (YYYY-MM-DD). */
  readonly from: string;
  /** Last day recomputed (today). */
  readonly to: string;
  readonly statsRows: number;
  readonly activeUserRows: number;
}

/** Bounds the work one run may do (a year is the most anyone backfills at once). */
const aggregateDaysMax = 400;
/** The dashboard's window, today included. */
export const dashboardDays = 30;
/** What a first run backfills: the dashboard's 30 days, and a margin. */
const backfillDays = 35;

const dayMs = 86_400_000;

/** The UTC day of an instant, YYYY-MM-DD. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** `day` moved by `days` (negative: back). */
export function addDays(day: string, days: number): string {
  return utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + days * dayMs));
}

// One run at a time: runs replace the same rows, and serialising them (the minute job, a refresh, a
// second worker) keeps each one's delete-and-insert whole. Any fixed key unique to this purpose.
const lockKey = 7_305_118_401;

// A payment's outcome as the dashboard counts it. A refunded payment did succeed with the provider
// (the refund is its own record), so it stays in volume and success rates.
const paymentOutcome = `CASE
    WHEN p.status IN ('succeeded', 'refunded') THEN 'succeeded'
    WHEN p.status IN ('failed', 'rejected', 'canceled', 'expired') THEN 'failed'
    ELSE 'pending' END`;

// $1/$2: the window's first day and the day after its last (dates); $3/$4 the same as instants, so
// both tables are read through their created_at indexes; $5 the wallets' mode, which transfers take.
const insertStats = `INSERT INTO daily_stats
    (day, mode, currency, kind, provider, succeeded_count, failed_count, pending_count, volume, computed_at)
  SELECT day, mode, currency, kind, provider,
         count(*) FILTER (WHERE outcome = 'succeeded'),
         count(*) FILTER (WHERE outcome = 'failed'),
         count(*) FILTER (WHERE outcome = 'pending'),
         coalesce(sum(amount) FILTER (WHERE outcome = 'succeeded'), 0),
         now()
    FROM (
      SELECT (p.created_at AT TIME ZONE 'UTC')::date AS day, p.mode, p.currency, p.kind, p.provider,
             p.amount, ${paymentOutcome} AS outcome
        FROM payments p
       WHERE p.created_at >= $3 AND p.created_at < $4
      UNION ALL
      SELECT (t.created_at AT TIME ZONE 'UTC')::date, $5::text, t.currency, 'transfer', '', t.amount,
             CASE WHEN t.kind = 'posted' OR r.kind = 'post_pending' THEN 'succeeded'
                  WHEN r.kind = 'void_pending' THEN 'failed' ELSE 'pending' END
        FROM ledger_transfers t
        LEFT JOIN ledger_transfers r ON r.pending_id = t.id
       WHERE t.code = 'p2p' AND t.kind IN ('posted', 'pending') AND t.created_at >= $3 AND t.created_at < $4
    ) x
   WHERE day >= $1 AND day < $2
   GROUP BY day, mode, currency, kind, provider`;

// Active: started a deposit or withdrawal (whatever came of it) or sent money to someone. Receiving
// is not activity, and the transfer that delivers a claimed held transfer (metadata.held) was sent
// when the hold was.
const insertActiveUsers = `INSERT INTO daily_active_users (day, user_id)
  SELECT day, user_id FROM (
      SELECT (p.created_at AT TIME ZONE 'UTC')::date AS day, p.user_id
        FROM payments p
       WHERE p.user_id IS NOT NULL AND p.created_at >= $3 AND p.created_at < $4
      UNION
      SELECT (t.created_at AT TIME ZONE 'UTC')::date, t.metadata->>'from'
        FROM ledger_transfers t
       WHERE t.code IN ('p2p', 'p2p_held') AND t.kind IN ('posted', 'pending')
         AND t.metadata->>'from' IS NOT NULL AND NOT (t.metadata ? 'held')
         AND t.created_at >= $3 AND t.created_at < $4
    ) u
   WHERE day >= $1 AND day < $2`;

// The last day's totals: active that day, and over the dashboard's window ending that day.
const upsertTotals = `INSERT INTO daily_active_user_totals (day, users, users_30_days, computed_at)
  SELECT $1::date,
         (SELECT count(*) FROM daily_active_users WHERE day = $1::date),
         (SELECT count(*) FROM (SELECT user_id FROM daily_active_users
                                 WHERE day > $1::date - $2::int AND day <= $1::date GROUP BY user_id) a),
         now()
  ON CONFLICT (day) DO UPDATE
    SET users = EXCLUDED.users, users_30_days = EXCLUDED.users_30_days, computed_at = EXCLUDED.computed_at`;

/**
 * Recomputes the last `days` UTC days, replacing their rows in one transaction: idempotent, and
 * the dashboard never sees a day half-computed. Concurrent runs take turns (advisory lock). The
 * last day's active-user totals are counted here too, so the dashboard needn't count distinct users.
 */
export async function aggregateDailyStats(pool: Pool, options: AggregateOptions): Promise<AggregateResult> {
  const days = options.days ?? 2;
  if (!Number.isInteger(days) || days < 1 || days > aggregateDaysMax) {
    throw new RangeError(`days must be an integer from 1 to ${aggregateDaysMax}, got ${days}`);
  }
  const to = utcDay(options.now ?? new Date());
  const from = addDays(to, 1 - days);
  const end = addDays(to, 1);
  const window = [from, end, `${from}T00:00:00Z`, `${end}T00:00:00Z`];
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [lockKey]);
    await client.query('DELETE FROM daily_stats WHERE day >= $1 AND day < $2', [from, end]);
    await client.query('DELETE FROM daily_active_users WHERE day >= $1 AND day < $2', [from, end]);
    const stats = await client.query(insertStats, [...window, options.walletsMode]);
    const active = await client.query(insertActiveUsers, window);
    await client.query(upsertTotals, [to, dashboardDays]);
    return { from, to, statsRows: stats.rowCount ?? 0, activeUserRows: active.rowCount ?? 0 };
  });
}

/**
 * The job: today and yesterday every minute, `days` when the schedule says (late changes, such as
 * a withdrawal approved days after it was requested), and a backfill while the table is empty (the
 * first run on an existing database).
 */
export async function aggregateDailyStatsJob(
  pool: Pool,
  walletsMode: AggregateOptions['walletsMode'],
  payload: Readonly<Record<string, unknown>>,
): Promise<AggregateResult> {
  if (payload.days !== undefined && typeof payload.days !== 'number') {
    throw new TypeError('daily_stats_aggregate: payload.days must be a number');
  }
  let days = payload.days;
  if (days === undefined) {
    const { rows } = await pool.query<{ empty: boolean }>(
      'SELECT NOT EXISTS (SELECT 1 FROM daily_stats) AS empty',
    );
    days = rows[0]?.empty ? backfillDays : 2;
  }
  return aggregateDailyStats(pool, { walletsMode, days });
}
