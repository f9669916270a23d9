/**
 * The dashboard keeps live money apart from test money: merchants' payments count in their mode,
 * people's transfers and activity in their wallets' mode (WALLETS_MODE). Against a real database.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { aggregateDailyStats, dashboard } from '../../src/reports/index.ts';
import { newId } from '../../src/shared/ids.ts';
import type { TestUser } from '../helpers/api.ts';
import { paymentsHarness } from '../helpers/payments.ts';

const harness = await paymentsHarness({ providers: ['mpesa'], worker: false });
const { api } = harness;
const pool = api.database.pool;
let admin: TestUser;
let keys = 0;

function post(user: TestUser, url: string, payload: Record<string, unknown>) {
  return api.app.inject({
    method: 'POST',
    url,
    headers: { ...user.auth, 'idempotency-key': `modes-${keys++}` },
    payload,
  });
}

function get(user: TestUser, url: string) {
  return api.app.inject({ method: 'GET', url, headers: user.auth });
}

async function collection(merchantId: string, mode: 'test' | 'live', status: string, amount: bigint) {
  await pool.query(
    `INSERT INTO payments (id, kind, provider, mode, status, merchant_id, account_id, amount, fee, currency,
       reconcile_at)
     VALUES ($1, 'collection', 'mpesa', $2, $3, $4, $5, $6, 0, 'KES', now())`,
    [newId('pay'), mode, status, merchantId, `mer_${merchantId}_${mode}_KES`, amount],
  );
}

const monthly = (board: Awaited<ReturnType<typeof dashboard>>) =>
  board.volume
    .filter((v) => v.period === 'last_30_days')
    .map((v) => [v.kind, v.provider, v.count, v.volume])
    .sort();

beforeAll(async () => {
  admin = await harness.operator('admin');
  const merchant = (await post(admin, '/v1/merchants', { name: 'Two-mode shop' })).json();
  const alice = await api.registerWithPin({ currency: 'KES', amount: '100.00' });
  const bob = await api.register();
  expect(
    (await post(alice, '/v1/transfers', { to: bob.id, amount: '10.00', currency: 'KES' })).statusCode,
  ).toBe(201);
  await collection(merchant.id, 'live', 'succeeded', 500_00n);
  await collection(merchant.id, 'live', 'failed', 3_00n);
  await collection(merchant.id, 'live', 'pending', 7_00n);
  await collection(merchant.id, 'test', 'succeeded', 20_00n);
  await collection(merchant.id, 'test', 'pending', 1_00n);
  await collection(merchant.id, 'test', 'pending', 2_00n);
});

describe('the dashboard per mode', () => {
  it("counts merchants' payments in their mode, and transfers and active people in the wallets' mode", async () => {
    await aggregateDailyStats(pool, { walletsMode: 'test' });
    const test = await dashboard(pool, { walletsMode: 'test' });
    const live = await dashboard(pool, { walletsMode: 'test', mode: 'live' });
    expect(test.mode).toBe('test');
    expect(monthly(test)).toEqual([
      ['collection', 'mpesa', 1, '20.00'],
      ['transfer', null, 1, '10.00'],
    ]);
    expect(test.counts.pending).toBe(2);
    expect(test.active_users.last_30_days).toBe(1);
    expect(live.mode).toBe('live');
    expect(monthly(live)).toEqual([['collection', 'mpesa', 1, '500.00']]);
    expect(live.providers).toEqual([{ provider: 'mpesa', succeeded: 1, failed: 1, success_rate: 0.5 }]);
    expect(live.counts.pending).toBe(1);
    expect(live.active_users).toEqual({ today: 0, last_30_days: 0 });
    // The queues without a mode are the same in both.
    expect(live.counts.dead_jobs).toBe(test.counts.dead_jobs);

    // Live wallets: the same transfer is live money.
    await aggregateDailyStats(pool, { walletsMode: 'live' });
    expect(monthly(await dashboard(pool, { walletsMode: 'live' }))).toEqual([
      ['collection', 'mpesa', 1, '500.00'],
      ['transfer', null, 1, '10.00'],
    ]);
    expect(monthly(await dashboard(pool, { walletsMode: 'live', mode: 'test' }))).toEqual([
      ['collection', 'mpesa', 1, '20.00'],
    ]);
    await aggregateDailyStats(pool, { walletsMode: 'test' });
  });

  it('answers over HTTP in the wallets’ mode by default, in either mode on request, and refuses another', async () => {
    await aggregateDailyStats(pool, { walletsMode: 'test' });
    const byDefault = await get(admin, '/v1/operator/dashboard');
    expect([byDefault.statusCode, byDefault.json().mode]).toEqual([200, 'test']);
    const live = await get(admin, '/v1/operator/dashboard?mode=live');
    expect([live.statusCode, live.json().mode, live.json().counts.pending]).toEqual([200, 'live', 1]);
    const refreshed = await api.app.inject({
      method: 'POST',
      url: '/v1/operator/dashboard/refresh?mode=live',
      headers: admin.auth,
    });
    expect([refreshed.statusCode, refreshed.json().mode]).toEqual([200, 'live']);
    for (const url of ['/v1/operator/dashboard?mode=both', '/v1/operator/dashboard?mode=']) {
      const refused = await get(admin, url);
      expect([url, refused.statusCode, refused.json().error.code]).toEqual([url, 400, 'validation_failed']);
    }
  });
});
