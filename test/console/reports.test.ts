/**
 * The console's reports against a real database: money moved through the real services (sandboxed
 * providers, the ledger), the daily aggregates checked figure by figure against direct SQL, the
 * transactions list's filters, pagination and detail, bad input, and roles. Exports: exports.test.ts.
 */
import { parseCrontab } from 'graphile-worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { enqueue, listDeadJobs } from '../../src/db/jobs.ts';
import { crontab, taskHandlers } from '../../src/jobs/index.ts';
import { aggregateDailyStats, dashboard, type TransactionItem } from '../../src/reports/index.ts';
import { newId } from '../../src/shared/ids.ts';
import { parseAmount } from '../../src/shared/money.ts';
import type { TestUser } from '../helpers/api.ts';
import { paymentsHarness } from '../helpers/payments.ts';

const harness = await paymentsHarness({ providers: ['mpesa', 'stripe'] });
const { api } = harness;
const pool = api.database.pool;
const mpesaPhone = '+254708374149';
const dayMs = 86_400_000;
let keys = 0;

let admin: TestUser;
let viewer: TestUser;
let alice: TestUser;
let bob: TestUser;
const ids: Record<string, string> = {};

function post(user: TestUser, url: string, payload: Record<string, unknown>) {
  return api.app.inject({
    method: 'POST',
    url,
    headers: { ...user.auth, 'idempotency-key': `reports-${keys++}` },
    payload,
  });
}

function get(user: TestUser | undefined, url: string) {
  return api.app.inject({ method: 'GET', url, headers: user?.auth ?? {} });
}

async function settled(user: TestUser, kind: 'deposits' | 'withdrawals', id: string): Promise<string> {
  return harness.eventually(async () => {
    const status = (await get(user, `/v1/${kind}/${id}`)).json().status as string;
    return ['pending', 'requires_approval'].includes(status) ? undefined : status;
  });
}

/** A payments row as the payments service would leave it, at a chosen time (other days, ties). */
async function insertPayment(p: {
  kind: 'deposit' | 'collection' | 'withdrawal';
  status: string;
  provider: string;
  userId: string;
  amount: bigint;
  currency: string;
  createdAt: Date;
}): Promise<string> {
  const id = newId('pay');
  await pool.query(
    `INSERT INTO payments (id, kind, provider, mode, status, user_id, account_id, amount, fee, currency,
       reconcile_at, created_at, updated_at)
     VALUES ($1, $2, $3, 'test', $4, $5, $6, $7, 0, $8, $9, $9, $9)`,
    [
      id,
      p.kind,
      p.provider,
      p.status,
      p.userId,
      `wal_${p.userId}_${p.currency}`,
      p.amount,
      p.currency,
      p.createdAt,
    ],
  );
  return id;
}

beforeAll(async () => {
  admin = await harness.operator('admin');
  viewer = await harness.operator('viewer');
  alice = await api.register();
  bob = await api.register();
  await api.app.inject({ method: 'PUT', url: '/v1/me/pin', headers: alice.auth, payload: { pin: '4826' } });

  for (const [name, amount] of [
    ['deposit1', '100.00'],
    ['deposit2', '250.00'],
  ] as const) {
    const created = await post(alice, '/v1/deposits', {
      provider: 'mpesa',
      amount,
      currency: 'KES',
      phone: mpesaPhone,
    });
    ids[name] = created.json().id;
    expect(await settled(alice, 'deposits', ids[name] as string)).toBe('succeeded');
  }
  const declined = await post(bob, '/v1/deposits', {
    provider: 'stripe',
    amount: '20.00',
    currency: 'USD',
    email: 'bob@example.com',
  });
  ids.declined = declined.json().id;
  await harness.sandboxes.get('stripe')?.control.pay(declined.json().next_action, '4000000000000002');
  expect(await settled(bob, 'deposits', ids.declined as string)).toBe('failed');
  const withdrawal = await post(alice, '/v1/withdrawals', {
    provider: 'mpesa',
    amount: '30.00',
    currency: 'KES',
    destination: { phone: mpesaPhone },
    pin: '4826',
  });
  ids.withdrawal = withdrawal.json().id;
  expect(await settled(alice, 'withdrawals', ids.withdrawal as string)).toBe('succeeded');
  const transfer = await post(alice, '/v1/transfers', { to: bob.id, amount: '10.00', currency: 'KES' });
  expect(transfer.statusCode).toBe(201);
  ids.transfer = transfer.json().id;
  const held = await api.services.held.hold({
    id: newId('hld'),
    fromUserId: alice.id,
    to: '@nobody_yet',
    amount: '5.00',
    currency: 'KES',
  });
  ids.held = `${held.id}_hold`;

  // Other days and states, straight into the table: the sandboxes settle everything today.
  const now = Date.now();
  const rows: (readonly [
    string,
    'deposit' | 'withdrawal',
    string,
    string,
    TestUser,
    bigint,
    string,
    number,
  ])[] = [
    ['review', 'deposit', 'needs_review', 'mpesa', bob, 70_00n, 'KES', 1],
    ['approval', 'withdrawal', 'requires_approval', 'mpesa', bob, 5_000_00n, 'KES', 3],
    ['old', 'deposit', 'succeeded', 'mpesa', bob, 40_00n, 'KES', 3],
    ['ancient', 'deposit', 'succeeded', 'mpesa', bob, 999_00n, 'KES', 45],
    ['formula', 'deposit', 'failed', '=1+1', bob, 1_00n, 'USD', 2],
    // Five at the very same instant: pages must split ties by id without a gap or a repeat.
    ...[0, 1, 2, 3, 4].map(
      (i) => [`tie${i}`, 'deposit', 'pending', 'mpesa', alice, BigInt(1_00 + i), 'KES', 2] as const,
    ),
  ];
  for (const [name, kind, status, provider, user, amount, currency, daysAgo] of rows) {
    const createdAt = new Date(now - daysAgo * dayMs);
    ids[name] = await insertPayment({ kind, status, provider, userId: user.id, amount, currency, createdAt });
  }
  await pool.query(
    `INSERT INTO kyc_documents (id, user_id, kind, level, status, content_type, size_bytes, sha256, storage_key)
     VALUES ($1, $2, 'passport', 'basic', 'pending', 'image/png', 10, 'x', 'k')`,
    [newId('kyc'), bob.id],
  );
  await pool.query(
    `INSERT INTO adjustments (id, user_id, currency, direction, amount, reason, status, requested_by, transfer_id)
     VALUES ($1, $2, 'KES', 'credit', 500, 'goodwill', 'pending_approval', $3, $4)`,
    [newId('adj'), bob.id, admin.id, newId('txf')],
  );
  // A job that fails its only attempt: a dead job (webhook_apply needs an id).
  await enqueue(pool, 'webhook_apply', {}, { maxAttempts: 1 });
  await harness.eventually(async () => ((await listDeadJobs(pool, 10)).length > 0 ? true : undefined));
}, 120_000);

/** Every item of the list for `query`, read in pages of `limit`. */
async function everything(query: string, limit = 100): Promise<TransactionItem[]> {
  const items: TransactionItem[] = [];
  let after = '';
  // Bounded: a cursor that doesn't advance must fail the test, not hang it.
  for (let pages = 0; pages < 500; pages++) {
    const res = await get(admin, `/v1/operator/transactions?limit=${limit}${query}${after}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    items.push(...body.data);
    if (!body.has_more) return items;
    after = `&starting_after=${body.data.at(-1).id}`;
  }
  throw new Error(`more than 500 pages for ${query}`);
}

async function sqlCount(where: string, values: unknown[] = []): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM operator_transactions WHERE ${where}`,
    values,
  );
  return rows[0]?.n ?? -1;
}

const statsRows = async () =>
  (
    await pool.query(
      `SELECT day::text, currency, kind, provider, succeeded_count::text, failed_count::text, pending_count::text,
              volume::text FROM daily_stats ORDER BY 1, 2, 3, 4`,
    )
  ).rows;
const activeRows = async () =>
  (await pool.query('SELECT day::text, user_id FROM daily_active_users ORDER BY 1, 2')).rows;

describe('daily aggregates and the dashboard', () => {
  it('match direct SQL over the payments and the ledger, figure by figure', async () => {
    const now = new Date();
    await aggregateDailyStats(pool, { walletsMode: 'test', now, days: 60 });
    const board = await dashboard(pool, { walletsMode: 'test', now });
    const today = `${now.toISOString().slice(0, 10)}T00:00:00Z`;
    const from30 = new Date(Date.parse(today) - 29 * dayMs).toISOString();
    const volumeSql = `SELECT currency, type AS kind, provider, count(*)::int AS count, sum(amount)::text AS volume
        FROM operator_transactions
       WHERE status IN ('succeeded', 'refunded') AND type IN ('deposit', 'collection', 'withdrawal', 'transfer')
         AND created_at >= $1 GROUP BY currency, type, provider ORDER BY currency, kind, provider`;
    const volume = async (since: string) =>
      (await pool.query(volumeSql, [since])).rows.map((r) => ({
        currency: r.currency,
        kind: r.kind,
        provider: r.provider,
        count: r.count,
        minor: r.volume,
      }));
    const shown = (period: string) =>
      board.volume
        .filter((v) => v.period === period)
        .map((v) => ({
          currency: v.currency,
          kind: v.kind,
          provider: v.provider,
          count: v.count,
          minor: parseAmount(v.volume, v.currency).toString(),
        }));
    expect(shown('today')).toEqual(await volume(today));
    expect(shown('last_30_days')).toEqual(await volume(from30));
    // Not vacuous: the two M-Pesa deposits and the one 3 days ago, but not the one 45 days ago.
    expect(board.volume).toContainEqual({
      period: 'last_30_days',
      currency: 'KES',
      kind: 'deposit',
      provider: 'mpesa',
      count: 3,
      volume: '390.00',
    });
    expect(board.volume).toContainEqual(
      expect.objectContaining({ kind: 'transfer', provider: null, volume: '10.00' }),
    );

    const daily = await pool.query(
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, currency, type AS kind,
              count(*)::int AS count, sum(amount)::text AS minor
         FROM operator_transactions
        WHERE status IN ('succeeded', 'refunded') AND type IN ('deposit', 'collection', 'withdrawal', 'transfer')
          AND created_at >= $1 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      [from30],
    );
    expect(
      board.daily.map((d) => ({
        ...d,
        volume: undefined,
        minor: parseAmount(d.volume, d.currency).toString(),
      })),
    ).toEqual(daily.rows.map((r) => ({ ...r, volume: undefined })));

    const providers = await pool.query(
      `SELECT provider, count(*) FILTER (WHERE status IN ('succeeded', 'refunded'))::int AS succeeded,
              count(*) FILTER (WHERE status IN ('failed', 'rejected', 'canceled', 'expired'))::int AS failed
         FROM payments WHERE created_at >= $1 GROUP BY provider ORDER BY provider`,
      [from30],
    );
    expect(board.providers.map(({ success_rate: _, ...p }) => p)).toEqual(providers.rows);
    const stripe = board.providers.find((p) => p.provider === 'stripe');
    expect(stripe).toEqual({ provider: 'stripe', succeeded: 0, failed: 1, success_rate: 0 });
    const mpesa = board.providers.find((p) => p.provider === 'mpesa');
    expect(mpesa?.success_rate).toBe(1);

    const counts = await pool.query(
      `SELECT (SELECT count(*) FROM payments WHERE status = 'pending')::int AS pending,
              (SELECT count(*) FROM payments WHERE status = 'needs_review')::int AS needs_review,
              (SELECT count(*) FROM payments WHERE status = 'requires_approval')::int AS requires_approval,
              (SELECT count(*) FROM kyc_documents WHERE status = 'pending')::int AS kyc_pending,
              (SELECT count(*) FROM adjustments WHERE status = 'pending_approval')::int AS adjustments_pending`,
    );
    expect(board.counts).toEqual({ ...counts.rows[0], dead_jobs: (await listDeadJobs(pool, 100)).length });
    expect(board.counts).toMatchObject({ pending: 5, needs_review: 1, requires_approval: 1, kyc_pending: 1 });
    expect(board.counts.dead_jobs).toBeGreaterThanOrEqual(1);

    const active = await pool.query(
      `WITH movers AS (
         SELECT user_id, created_at FROM payments WHERE user_id IS NOT NULL
         UNION ALL
         SELECT metadata->>'from', created_at FROM ledger_transfers
          WHERE code IN ('p2p', 'p2p_held') AND kind IN ('posted', 'pending') AND NOT (metadata ? 'held'))
       SELECT count(DISTINCT user_id) FILTER (WHERE created_at >= $1)::int AS today,
              count(DISTINCT user_id) FILTER (WHERE created_at >= $2)::int AS last_30_days
         FROM movers`,
      [today, from30],
    );
    expect(board.active_users).toEqual(active.rows[0]);
    expect(board.active_users.last_30_days).toBe(2);
    expect(board.as_of).not.toBeNull();
    // Before the day's first run the active users are counted live, to the same figures.
    await pool.query('DELETE FROM daily_active_user_totals');
    expect((await dashboard(pool, { walletsMode: 'test', now })).active_users).toEqual(active.rows[0]);
  });

  it('gives the same rows when run again, and when runs overlap', async () => {
    const now = new Date();
    await aggregateDailyStats(pool, { walletsMode: 'test', now, days: 60 });
    const [stats, active] = [await statsRows(), await activeRows()];
    expect(stats.length).toBeGreaterThan(3);
    await aggregateDailyStats(pool, { walletsMode: 'test', now, days: 60 });
    expect([await statsRows(), await activeRows()]).toEqual([stats, active]);
    await Promise.all([1, 2, 3].map(() => aggregateDailyStats(pool, { walletsMode: 'test', now, days: 60 })));
    expect([await statsRows(), await activeRows()]).toEqual([stats, active]);
    // A short window leaves older days alone.
    await aggregateDailyStats(pool, { walletsMode: 'test', now, days: 1 });
    expect(await statsRows()).toEqual(stats);
    await expect(aggregateDailyStats(pool, { walletsMode: 'test', days: 0 })).rejects.toThrow(RangeError);
  });

  it('is a job: a backfill on an empty table, then today and yesterday; scheduled every minute', async () => {
    const tasks = taskHandlers({
      pool,
      payments: api.services.payments,
      merchantWebhooks: api.services.merchantWebhooks,
      purgeIdempotencyKeys: async () => 0,
    });
    const stats = await statsRows();
    await pool.query('DELETE FROM daily_stats');
    const first = (await tasks.daily_stats_aggregate({})) as { from: string; to: string };
    expect(Date.parse(first.to) - Date.parse(first.from)).toBe(34 * dayMs);
    const second = (await tasks.daily_stats_aggregate({})) as { from: string; to: string };
    expect(Date.parse(second.to) - Date.parse(second.from)).toBe(dayMs);
    await expect(tasks.daily_stats_aggregate({ days: 'all' })).rejects.toThrow(TypeError);
    await aggregateDailyStats(pool, { walletsMode: 'test', days: 60 });
    expect(await statsRows()).toEqual(stats);
    const scheduled = parseCrontab(crontab).filter((c) => c.task === 'daily_stats_aggregate');
    expect(scheduled.map((c) => c.payload)).toEqual([null, { days: 35 }]);
  });

  it('answers over HTTP for every operator role, and refreshes on request', async () => {
    for (const role of ['admin', 'finance', 'support', 'viewer'] as const) {
      const res = await get(await harness.operator(role), '/v1/operator/dashboard');
      expect([role, res.statusCode]).toEqual([role, 200]);
    }
    expect((await get(alice, '/v1/operator/dashboard')).statusCode).toBe(403);
    expect((await get(undefined, '/v1/operator/dashboard')).statusCode).toBe(401);
    await pool.query('DELETE FROM daily_stats');
    await pool.query('DELETE FROM daily_active_user_totals');
    expect((await get(viewer, '/v1/operator/dashboard')).json().as_of).toBeNull();
    const refreshed = await api.app.inject({
      method: 'POST',
      url: '/v1/operator/dashboard/refresh',
      headers: viewer.auth,
    });
    expect(refreshed.statusCode).toBe(200);
    expect(refreshed.json().as_of).not.toBeNull();
    expect(
      refreshed.json().volume.filter((v: { period: string }) => v.period === 'today').length,
    ).toBeGreaterThan(0);
    const withBody = await post(admin, '/v1/operator/dashboard/refresh', {});
    expect(withBody.statusCode).toBe(200);
    await aggregateDailyStats(pool, { walletsMode: 'test', days: 60 });
  });
});

describe('GET /v1/operator/transactions', () => {
  it('lists payments and transfers, each filter narrowing as SQL does', async () => {
    const all = await everything('');
    expect(all.length).toBe(await sqlCount('true'));
    expect(new Set(all.map((t) => t.type))).toEqual(
      new Set(['deposit', 'withdrawal', 'transfer', 'held_transfer']),
    );
    const cases: [string, (t: TransactionItem) => boolean, string, unknown[]][] = [
      ['&currency=USD', (t) => t.currency === 'USD', `currency = 'USD'`, []],
      ['&type=deposit', (t) => t.type === 'deposit', `type = 'deposit'`, []],
      ['&type=withdrawal', (t) => t.type === 'withdrawal', `type = 'withdrawal'`, []],
      ['&type=transfer', (t) => t.type === 'transfer', `type = 'transfer'`, []],
      ['&type=held_transfer', (t) => t.type === 'held_transfer', `type = 'held_transfer'`, []],
      ['&status=succeeded', (t) => t.status === 'succeeded', `status = 'succeeded'`, []],
      ['&status=pending', (t) => t.status === 'pending', `status = 'pending'`, []],
      ['&provider=stripe', (t) => t.provider === 'stripe', `provider = 'stripe'`, []],
      [
        `&user_id=${bob.id}`,
        (t) => t.user_id === bob.id || t.counterparty_user_id === bob.id,
        `(user_id = $1 OR counterparty_user_id = $1)`,
        [bob.id],
      ],
      [
        '&currency=KES&amount_min=30&amount_max=100.00',
        (t) => t.currency === 'KES' && Number(t.amount) >= 30 && Number(t.amount) <= 100,
        `currency = 'KES' AND amount BETWEEN 3000 AND 10000`,
        [],
      ],
    ];
    for (const [query, matches, where, values] of cases) {
      const items = await everything(query);
      expect([query, items.every(matches)]).toEqual([query, true]);
      expect([query, items.length]).toEqual([query, await sqlCount(where, values)]);
      expect([query, items.length > 0 && items.length < all.length]).toEqual([query, true]);
    }
  });

  it('filters by creation time, a date meaning the whole UTC day', async () => {
    const threeDaysAgo = new Date(Date.now() - 3 * dayMs).toISOString().slice(0, 10);
    const day = await everything(`&created_from=${threeDaysAgo}&created_to=${threeDaysAgo}`);
    expect(day.map((t) => t.id).sort()).toEqual([ids.approval, ids.old].sort());
    const since = new Date(Date.now() - 36 * 3600_000).toISOString();
    const recent = await everything(`&created_from=${encodeURIComponent(since)}`);
    expect(recent.length).toBe(await sqlCount('created_at >= $1', [since]));
    expect(recent.every((t) => t.created_at >= since)).toBe(true);
    const before = await everything(`&created_to=${encodeURIComponent(since)}`);
    expect(before.length + recent.length).toBe(await sqlCount('true'));
  });

  it('pages without gaps or repeats, ties on the same instant included', async () => {
    const all = await everything('');
    for (const limit of [1, 2, 3, 7]) {
      const paged = await everything('', limit);
      expect(paged.map((t) => t.id)).toEqual(all.map((t) => t.id));
    }
    expect(new Set(all.map((t) => t.id)).size).toBe(all.length);
    const sorted = [...all].sort((a, b) =>
      a.created_at === b.created_at ? (a.id < b.id ? 1 : -1) : a.created_at < b.created_at ? 1 : -1,
    );
    expect(all.map((t) => t.id)).toEqual(sorted.map((t) => t.id));
    const page = (await get(admin, '/v1/operator/transactions?type=deposit&status=pending&limit=2')).json();
    const next = (
      await get(
        admin,
        `/v1/operator/transactions?type=deposit&status=pending&limit=2&starting_after=${page.data[1].id}`,
      )
    ).json();
    expect(page.has_more).toBe(true);
    expect(next.data.map((t: TransactionItem) => t.id)).not.toContain(page.data[0].id);
  });

  it.each([
    ['amount_min=10', 'validation_failed', 'amount_min'],
    ['amount_max=10', 'validation_failed', 'amount_max'],
    ['currency=KES&amount_min=1.001', 'amount_too_precise', 'amount_min'],
    ['currency=KES&amount_min=1e3', 'amount_invalid', 'amount_min'],
    ['currency=KES&amount_min=50&amount_max=10', 'validation_failed', 'amount_max'],
    ['currency=kes', 'validation_failed', 'currency'],
    ['created_from=2026-13-01', 'validation_failed', 'created_from'],
    ['created_from=2026-02-30', 'validation_failed', 'created_from'],
    ['created_to=yesterday', 'validation_failed', 'created_to'],
    ['created_from=2026-11-23T10:00:00', 'validation_failed', 'created_from'],
    ['created_from=2026-11-24&created_to=2026-11-22', 'validation_failed', 'created_to'],
    ['starting_after=pay_nonexistent', 'validation_failed', 'starting_after'],
    ['limit=101', 'validation_failed', 'limit'],
    ['limit=0', 'validation_failed', 'limit'],
    ['type=refund', 'validation_failed', 'type'],
    ['user_id=bob', 'validation_failed', 'user_id'],
  ])('refuses %s with %s on %s', async (query, code, param) => {
    const res = await get(admin, `/v1/operator/transactions?${query}`);
    expect([res.statusCode, res.json().error.code, res.json().error.param]).toEqual([400, code, param]);
  });

  it('shows one item with the ledger transfers behind it', async () => {
    const deposit = (await get(viewer, `/v1/operator/transactions/${ids.deposit1}`)).json();
    expect(deposit).toMatchObject({
      id: ids.deposit1,
      type: 'deposit',
      status: 'succeeded',
      amount: '100.00',
      provider: 'mpesa',
      user_id: alice.id,
    });
    expect(deposit.ledger_transfers.map((t: { id: string }) => t.id)).toEqual([`${ids.deposit1}_cr`]);
    expect(deposit.ledger_transfers[0]).toMatchObject({ kind: 'posted', amount: '100.00', currency: 'KES' });
    const withdrawal = (await get(viewer, `/v1/operator/transactions/${ids.withdrawal}`)).json();
    expect(withdrawal.ledger_transfers.map((t: { id: string; kind: string }) => [t.id, t.kind])).toEqual([
      [`${ids.withdrawal}_hold`, 'pending'],
      [`${ids.withdrawal}_post`, 'post_pending'],
    ]);
    const transfer = (await get(viewer, `/v1/operator/transactions/${ids.transfer}`)).json();
    expect(transfer).toMatchObject({
      type: 'transfer',
      user_id: alice.id,
      counterparty_user_id: bob.id,
      fee: '0.00',
    });
    expect(transfer.ledger_transfers.map((t: { id: string }) => t.id)).toEqual([ids.transfer]);
    const held = (await get(viewer, `/v1/operator/transactions/${ids.held}`)).json();
    expect(held).toMatchObject({ type: 'held_transfer', status: 'pending', counterparty_user_id: null });
    const missing = await get(viewer, '/v1/operator/transactions/pay_missing');
    expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'transaction_not_found']);
  });
});
