/**
 * The operator dashboard (docs/console.md): volumes, daily series and provider success rates from
 * the daily aggregates, plus the queues an operator works through, counted on partial or status
 * indexes. A few hundred rows read, whatever the size of the history.
 */
import type { Pool } from '../db/pool.ts';
import { formatAmount } from '../shared/money.ts';
import { addDays, dashboardDays, utcDay } from './daily-stats.ts';

export type DashboardKind = 'deposit' | 'collection' | 'withdrawal' | 'transfer';

export interface DashboardOptions {
  /** The mode of people's wallets (`WALLETS_MODE`): transfers and active users belong to it. */
  readonly walletsMode: 'test' | 'live';
  /** Whose money: live or test (default: the wallets' mode, so development shows its sandboxes). */
  readonly mode?: 'test' | 'live' | undefined;
  /** Default: the current time (UTC days). */
  readonly now?: Date;
}

export interface Dashboard {
  /** The mode of every figure below except the unmoded queues (dead jobs, KYC, adjustments). */
  readonly mode: 'test' | 'live';
  /** When the aggregates read were computed; null before the first run that found anything. */
  readonly as_of: string | null;
  readonly volume: {
    readonly period: 'today' | 'last_30_days';
    readonly currency: string;
    readonly kind: DashboardKind;
    readonly provider: string | null;
    readonly count: number;
    readonly volume: string;
  }[];
  readonly daily: {
    readonly day: string;
    readonly currency: string;
    readonly kind: DashboardKind;
    readonly count: number;
    readonly volume: string;
  }[];
  readonly providers: {
    readonly provider: string;
    readonly succeeded: number;
    readonly failed: number;
    /** succeeded / (succeeded + failed), 3 decimals; null when nothing finished yet. */
    readonly success_rate: number | null;
  }[];
  readonly counts: {
    readonly pending: number;
    readonly needs_review: number;
    readonly requires_approval: number;
    readonly dead_jobs: number;
    readonly kyc_pending: number;
    readonly adjustments_pending: number;
  };
  readonly active_users: { readonly today: number; readonly last_30_days: number };
}

// $1 today, $2 the window's first day, $3 the mode. Only succeeded money is volume; a row of failures
// alone has none.
const volumeSql = `SELECT period, currency, kind, provider, count::text, volume::text FROM (
    SELECT 'today' AS period, currency, kind, provider, sum(succeeded_count) AS count, sum(volume) AS volume
      FROM daily_stats WHERE day = $1 AND mode = $3 GROUP BY currency, kind, provider
    UNION ALL
    SELECT 'last_30_days', currency, kind, provider, sum(succeeded_count), sum(volume)
      FROM daily_stats WHERE day >= $2 AND day <= $1 AND mode = $3 GROUP BY currency, kind, provider
  ) v WHERE count > 0
  ORDER BY period DESC, currency, kind, provider`;

const dailySql = `SELECT to_char(day, 'YYYY-MM-DD') AS day, currency, kind,
       sum(succeeded_count)::text AS count, sum(volume)::text AS volume
  FROM daily_stats WHERE day >= $2 AND day <= $1 AND mode = $3
 GROUP BY day, currency, kind HAVING sum(succeeded_count) > 0
 ORDER BY day, currency, kind`;

const providersSql = `SELECT provider, sum(succeeded_count)::text AS succeeded, sum(failed_count)::text AS failed
  FROM daily_stats WHERE day >= $2 AND day <= $1 AND mode = $3 AND provider <> ''
 GROUP BY provider ORDER BY provider`;

// Each count reads an index on status (or a partial one); dead jobs are few by nature. Payments are
// counted in the mode ($3); jobs, KYC documents and adjustments have none.
const countsSql = `SELECT
    (SELECT count(*) FROM payments WHERE status = 'pending' AND mode = $3)::int AS pending,
    (SELECT count(*) FROM payments WHERE status = 'needs_review' AND mode = $3)::int AS needs_review,
    (SELECT count(*) FROM payments WHERE status = 'requires_approval' AND mode = $3)::int AS requires_approval,
    (SELECT count(*) FROM graphile_worker.jobs
      WHERE attempts >= max_attempts AND locked_at IS NULL)::int AS dead_jobs,
    (SELECT count(*) FROM kyc_documents WHERE status = 'pending')::int AS kyc_pending,
    (SELECT count(*) FROM adjustments WHERE status = 'pending_approval')::int AS adjustments_pending,
    u.users::int AS active_today,
    u.users_30_days::int AS active_30,
    -- A run with nothing to count still counted: the totals row says when it ran.
    greatest((SELECT max(computed_at) FROM daily_stats WHERE day >= $2), u.computed_at) AS as_of
  FROM (SELECT 1) one
  LEFT JOIN daily_active_user_totals u ON u.day = $1`;

// Before the day's first run (just after midnight, or on a database never aggregated): counted live.
const activeUsersSql = `SELECT
    (SELECT count(*) FROM daily_active_users WHERE day = $1)::int AS today,
    (SELECT count(*) FROM (SELECT user_id FROM daily_active_users WHERE day >= $2 AND day <= $1
      GROUP BY user_id) a)::int AS last_30_days`;

interface CountsRow {
  pending: number;
  needs_review: number;
  requires_approval: number;
  dead_jobs: number;
  kyc_pending: number;
  adjustments_pending: number;
  active_today: number | null;
  active_30: number | null;
  as_of: Date | null;
}

const kindOf = (kind: string) => kind as DashboardKind;

/** Rounded for display; the counts it comes from are exact. */
function successRate(succeeded: bigint, failed: bigint): number | null {
  const finished = succeeded + failed;
  if (finished === 0n) return null;
  return Number((succeeded * 1000n + finished / 2n) / finished) / 1000;
}

/** The dashboard of one mode's money as of `now` (UTC days). */
export async function dashboard(pool: Pool, options: DashboardOptions): Promise<Dashboard> {
  const mode = options.mode ?? options.walletsMode;
  const today = utcDay(options.now ?? new Date());
  const window = [today, addDays(today, 1 - dashboardDays)];
  const moded = [...window, mode];
  // Independent reads: in parallel on the pool, so the answer takes the slowest, not the sum.
  const [volume, daily, providers, counts] = await Promise.all([
    pool.query<{
      period: 'today' | 'last_30_days';
      currency: string;
      kind: string;
      provider: string;
      count: string;
      volume: string;
    }>(volumeSql, moded),
    pool.query<{ day: string; currency: string; kind: string; count: string; volume: string }>(
      dailySql,
      moded,
    ),
    pool.query<{ provider: string; succeeded: string; failed: string }>(providersSql, moded),
    pool.query<CountsRow>(countsSql, moded),
  ]);
  const c = counts.rows[0] as CountsRow;
  // People act with their wallets' money only: the other mode's money is merchants'.
  const active =
    mode !== options.walletsMode
      ? { today: 0, last_30_days: 0 }
      : c.active_today === null || c.active_30 === null
        ? (await pool.query<{ today: number; last_30_days: number }>(activeUsersSql, window)).rows[0]
        : { today: c.active_today, last_30_days: c.active_30 };
  return {
    mode,
    as_of: c.as_of?.toISOString() ?? null,
    volume: volume.rows.map((r) => ({
      period: r.period,
      currency: r.currency,
      kind: kindOf(r.kind),
      provider: r.provider === '' ? null : r.provider,
      count: Number(r.count),
      volume: formatAmount(BigInt(r.volume), r.currency),
    })),
    daily: daily.rows.map((r) => ({
      day: r.day,
      currency: r.currency,
      kind: kindOf(r.kind),
      count: Number(r.count),
      volume: formatAmount(BigInt(r.volume), r.currency),
    })),
    providers: providers.rows.map((r) => ({
      provider: r.provider,
      succeeded: Number(r.succeeded),
      failed: Number(r.failed),
      success_rate: successRate(BigInt(r.succeeded), BigInt(r.failed)),
    })),
    counts: {
      pending: c.pending,
      needs_review: c.needs_review,
      requires_approval: c.requires_approval,
      dead_jobs: c.dead_jobs,
      kyc_pending: c.kyc_pending,
      adjustments_pending: c.adjustments_pending,
    },
    active_users: { today: active?.today ?? 0, last_30_days: active?.last_30_days ?? 0 },
  };
}
