import { afterAll } from 'vitest';
import { crontab, startWorker, taskHandlers, type Worker } from '../../src/jobs/index.ts';
import { ProviderGateway } from '../../src/payments/index.ts';
import type { ProviderId, ProviderMode, Sandbox } from '../../src/payments/providers/provider.ts';
import { providerRegistry } from '../../src/payments/providers/registry.ts';
import { type TestApi, type TestPaymentsOptions, type TestUser, testApi } from './api.ts';
import { quietLogger } from './database.ts';

export interface PaymentsHarness {
  readonly api: TestApi;
  readonly baseUrl: string;
  readonly sandboxes: ReadonlyMap<ProviderId, Sandbox>;
  readonly gateway: ProviderGateway;
  /** Starts the job worker (tests of a crash start and stop their own); `telegram` answers bot updates. */
  startWorker(options?: { telegram?: { handleUpdate(update: never): Promise<void> } }): Promise<Worker>;
  /** An operator with `role`, signed in. */
  operator(role: 'admin' | 'finance' | 'support' | 'viewer'): Promise<TestUser>;
  /** Polls `check` until it returns a value that is not undefined, or fails after `timeoutMs`. */
  eventually<T>(check: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>;
}

export interface HarnessOptions extends Omit<TestPaymentsOptions, 'gateway'> {
  readonly providers?: readonly ProviderId[];
  /** A provider's mode (default test): `live` makes its adapter stand in for real credentials. */
  readonly modes?: Partial<Record<ProviderId, ProviderMode>>;
  /** Start the worker at once (default true). */
  readonly worker?: boolean;
  /** Adapter timeout (ms). */
  readonly timeoutMs?: number;
  readonly breakerFailuresMax?: number;
  /** Turns on the Telegram webhook route with this secret token. */
  readonly telegramWebhookSecret?: string;
  /** Serve the built console at /console (browser tests). */
  readonly consoleDir?: string;
}

/**
 * The API listening on a real port, the chosen providers' sandboxes calling it back over HTTP, and
 * the job worker on the same test database: payments end to end, with nothing mocked.
 */
export async function paymentsHarness(options: HarnessOptions = {}): Promise<PaymentsHarness> {
  const ids = options.providers ?? (['mpesa', 'chapa', 'flutterwave', 'stripe'] as const);
  const sandboxes = new Map<ProviderId, Sandbox>();
  for (const id of ids) sandboxes.set(id, await providerRegistry[id].startSandbox({ payerDelayMs: 30 }));
  afterAll(async () => {
    await Promise.all([...sandboxes.values()].map((s) => s.close()));
  });
  const gateway = new ProviderGateway(
    ids.map((id) => ({
      provider: providerRegistry[id].create({
        env: (sandboxes.get(id) as Sandbox).env,
        mode: options.modes?.[id] ?? 'test',
        timeoutMs: options.timeoutMs ?? 2_000,
        logger: quietLogger,
      }),
      sandbox: true,
    })),
    {
      breakerFailuresMax: options.breakerFailuresMax ?? 5,
      breakerOpenMs: 60_000,
      attemptsMax: 3,
      logger: quietLogger,
    },
  );
  const api = await testApi({
    payments: { ...options, gateway },
    listen: true,
    telegramWebhookSecret: options.telegramWebhookSecret,
    ...(options.consoleDir ? { consoleDir: options.consoleDir } : {}),
  });
  const baseUrl = api.baseUrl as string;
  for (const [id, sandbox] of sandboxes) sandbox.control.setWebhookUrl(`${baseUrl}/v1/webhooks/${id}`);

  const workers: Worker[] = [];
  afterAll(async () => {
    for (const w of workers) await w.stop();
  });
  const start = async (extra: { telegram?: { handleUpdate(update: never): Promise<void> } } = {}) => {
    const worker = await startWorker({
      pool: api.database.pool,
      logger: quietLogger,
      concurrency: 4,
      crontab: options.reconcileAfterSeconds === undefined ? '' : crontab,
      pollIntervalMs: 200,
      tasks: taskHandlers({
        pool: api.database.pool,
        payments: api.services.payments,
        merchantWebhooks: api.services.merchantWebhooks,
        telegram: extra.telegram,
        purgeIdempotencyKeys: async () => 0,
      }),
    });
    workers.push(worker);
    return worker;
  };
  if (options.worker !== false) await start();

  let operators = 0;
  return {
    api,
    baseUrl,
    sandboxes,
    gateway,
    startWorker: start,
    async operator(role) {
      const email = `op${Date.now()}${operators++}@example.com`;
      const user = await api.services.users.register({ email, password: 'operator password 1', role });
      const signin = await api.app.inject({
        method: 'POST',
        url: '/v1/auth/token',
        payload: { login: email, password: 'operator password 1' },
      });
      const { access_token, refresh_token } = signin.json();
      return {
        id: user.id,
        email,
        password: 'operator password 1',
        token: access_token,
        refreshToken: refresh_token,
        auth: { authorization: `Bearer ${access_token}` },
      };
    },
    async eventually(check, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await check();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}
