/**
 * A real `chatpay worker` process killed with SIGKILL while it applies a stream of M-Pesa callbacks.
 * Whatever it was doing — mid-ledger, between the ledger and the status, holding a batch of locked
 * jobs — every deposit ends credited exactly once after a healthy worker and reconciliation run.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/payments/providers/provider.ts';
import { walletAccountId } from '../../src/wallets/index.ts';
import { paymentsHarness } from '../helpers/payments.ts';

const harness = await paymentsHarness({ providers: ['mpesa'], worker: false, reconcileAfterSeconds: 5 });
const { api } = harness;
const sandbox = harness.sandboxes.get('mpesa') as Sandbox;
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const depositsCount = 40;

function startWorkerProcess() {
  const child = spawn(process.execPath, ['src/cli/main.ts', 'worker'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'development',
      DATABASE_URL: api.database.url,
      LOG_LEVEL: 'silent',
      WORKER_CONCURRENCY: '4',
      PUBLIC_URL: harness.baseUrl,
      ...sandbox.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return child;
}

async function succeededCount(ids: readonly string[]): Promise<number> {
  const { rows } = await api.database.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM payments WHERE id = ANY($1) AND status = 'succeeded'`,
    [ids],
  );
  return rows[0]?.n ?? 0;
}

describe('a worker process killed mid-stream', () => {
  it('leaves every deposit credited exactly once after restart and reconciliation', async () => {
    const users = await Promise.all(Array.from({ length: 4 }, () => api.register()));
    const ids: string[] = [];
    for (let i = 0; i < depositsCount; i++) {
      const user = users[i % users.length];
      const created = await api.app.inject({
        method: 'POST',
        url: '/v1/deposits',
        headers: { ...user?.auth, 'idempotency-key': `crash-${i}` },
        payload: { provider: 'mpesa', amount: '10.00', currency: 'KES', phone: '+254708374149' },
      });
      expect(created.statusCode, created.body).toBe(201);
      ids.push(created.json().id);
    }
    // Every callback is in the inbox, its job queued, before any worker runs.
    await harness.eventually(async () => {
      const { rows } = await api.database.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM webhook_events WHERE provider = 'mpesa' AND verified`,
      );
      return (rows[0]?.n ?? 0) >= depositsCount ? true : undefined;
    });

    const child = startWorkerProcess();
    await harness.eventually(async () => ((await succeededCount(ids)) > 0 ? true : undefined), 30_000);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const before = await succeededCount(ids);
    // Killed mid-stream: some applied, the rest queued or locked by the dead process.
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(depositsCount);

    // A healthy worker takes over what was not locked; reconciliation settles what the dead one held.
    await harness.startWorker();
    await api.database.pool.query(
      `UPDATE payments SET reconcile_at = now() WHERE id = ANY($1) AND status = 'pending'`,
      [ids],
    );
    await harness.eventually(async () => {
      await api.services.payments.reconcile();
      return (await succeededCount(ids)) === depositsCount ? true : undefined;
    }, 30_000);

    for (const user of users) {
      const account = await api.services.ledger.getAccount(walletAccountId(user.id, 'KES'));
      expect(account?.creditsPosted).toBe(1_000n * BigInt(depositsCount / users.length));
    }
    expect(await api.services.ledger.verify()).toEqual([]);
  });
});
