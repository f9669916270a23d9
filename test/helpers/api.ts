import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import type { ApiServices } from '../../src/api/context.ts';
import { routesOnly } from '../../src/api/openapi-document.ts';
import type { MetricsAccess } from '../../src/api/plugins/metrics.ts';
import type { RateLimits } from '../../src/api/plugins/rate-limit.ts';
import { loadConfig } from '../../src/config/load.ts';
import { availableBalance } from '../../src/ledger/index.ts';
import { Merchants, type MerchantWebhookOptions, MerchantWebhooks } from '../../src/merchants/index.ts';
import { buildPayments, ProviderGateway } from '../../src/payments/index.ts';
import { type EventBus, MemoryEventBus } from '../../src/realtime/index.ts';
import { newId } from '../../src/shared/ids.ts';
import { parseAmount } from '../../src/shared/money.ts';
import { SecretBox } from '../../src/shared/sealed.ts';
import { Secret } from '../../src/shared/secret.ts';
import {
  ConsoleSessions,
  FileKycStorage,
  Kyc,
  type KycStorage,
  Tokens,
  Users,
} from '../../src/users/index.ts';
import {
  Adjustments,
  HeldTransfers,
  TransferService,
  Wallets,
  walletAccountId,
} from '../../src/wallets/index.ts';
import { freshDatabase, quietLogger, type TestDatabase, testLedger } from './database.ts';

export interface TestApi {
  readonly app: FastifyInstance;
  readonly database: TestDatabase;
  readonly services: ApiServices;
  /** Every line the app logged, for tests that check what must never be logged. */
  readonly logs: string[];
  /** When listening: `http://127.0.0.1:<port>`. */
  readonly baseUrl: string | undefined;
  register(overrides?: { email?: string; phone?: string; password?: string }): Promise<TestUser>;
  fund(userId: string, currency: string, amount: string): Promise<void>;
  /** A registered user whose transaction PIN is `testPin`, funded when `funds` is given. */
  registerWithPin(funds?: { currency: string; amount: string }): Promise<TestUser>;
  /** What the user can spend in `currency` (posted less outgoing holds); 0 without a wallet. */
  available(userId: string, currency: string): Promise<bigint>;
}

/** Seals stored secrets in tests: one key per test process, as SECRETS_KEY is one per deployment. */
export const testSecrets = new SecretBox(new Secret(randomBytes(32).toString('base64url')));

/** The transaction PIN `registerWithPin` sets. */
export const testPin = '4826';

export interface TestUser {
  readonly id: string;
  readonly email: string;
  readonly password: string;
  readonly token: string;
  readonly refreshToken: string;
  readonly auth: { authorization: string };
}

export interface TestApiOptions {
  /** Another bus (Redis) instead of the in-memory one. */
  readonly events?: EventBus;
  /** Share another TestApi's database (two API processes on one database). */
  readonly database?: TestDatabase;
  /** Rate limits; by default high enough that only the rate-limit tests meet them. */
  readonly rateLimits?: RateLimits;
  /** Redis for shared rate limits. */
  readonly redis?: Redis;
  /** Payments: the providers (default none) and settings (defaults: no fees, no limits). */
  readonly payments?: TestPaymentsOptions;
  /** Listen on a free port (providers' sandboxes need a real URL to call back). */
  readonly listen?: boolean;
  readonly telegramWebhookSecret?: string | undefined;
  /** The built console to serve at /console (browser tests). */
  readonly consoleDir?: string;
  readonly secureCookies?: boolean;
  /** Who may scrape /metrics (default: open, as in development). */
  readonly metricsAccess?: MetricsAccess;
  /** KYC documents' store (default: files in a temporary directory) and largest size. */
  readonly kyc?: { readonly storage?: KycStorage; readonly maxBytes?: number };
  /** Merchant webhooks' targets (default: private addresses allowed, as test receivers are local). */
  readonly merchantWebhooks?: Omit<MerchantWebhookOptions, 'secrets'>;
}

export interface TestPaymentsOptions {
  readonly gateway?: ProviderGateway;
  readonly feesJson?: string;
  readonly limitsJson?: string;
  /** `KYC_LIMITS` (default: none). */
  readonly kycLimitsJson?: string;
  /** e.g. `KES=1000`; unlisted currencies always need approval. */
  readonly approvalAbove?: string;
  readonly reconcileAfterSeconds?: number;
  readonly expireAfterSeconds?: number;
  /** `WALLETS_MODE` (default: test, as in development). */
  readonly walletsMode?: 'test' | 'live';
}

/** The whole API on a fresh database, driven with `app.inject()`. */
export async function testApi(options: TestApiOptions = {}): Promise<TestApi> {
  const db = options.database ?? (await freshDatabase());
  const ledger = testLedger(db.pool);
  const paymentOptions = options.payments ?? {};
  const config = loadConfig({
    TRANSFER_PIN_REQUIRED_ABOVE: 'ETB=1000,KES=2500,USD=20',
    WITHDRAWAL_APPROVAL_ABOVE:
      paymentOptions.approvalAbove ?? 'ETB=1000000,KES=1000000,USD=1000000,NGN=1000000',
  });
  const users = new Users(db.pool);
  const wallets = new Wallets(db.pool, ledger);
  const tokens = new Tokens(db.pool, {
    secret: new Secret('test-secret-that-is-long-enough-for-hs256-signing'),
    accessTokenTtlSeconds: 900,
    refreshTokenTtlSeconds: 3600,
  });
  const events = options.events ?? new MemoryEventBus();
  let baseUrl: string | undefined;
  const payments = buildPayments({
    pool: db.pool,
    ledger,
    wallets,
    gateway:
      paymentOptions.gateway ??
      new ProviderGateway([], {
        breakerFailuresMax: 5,
        breakerOpenMs: 30_000,
        attemptsMax: 3,
        logger: quietLogger,
      }),
    events,
    logger: quietLogger,
    publicUrl: () => baseUrl ?? 'http://127.0.0.1:1',
    feesJson: paymentOptions.feesJson ?? '[]',
    limitsJson: paymentOptions.limitsJson ?? '[]',
    kycLimitsJson: paymentOptions.kycLimitsJson ?? '[]',
    settings: {
      reconcileAfterSeconds: paymentOptions.reconcileAfterSeconds ?? 120,
      expireAfterSeconds: paymentOptions.expireAfterSeconds ?? 3600,
      approvalAbove: config.payments.approvalAbove,
      walletsMode: paymentOptions.walletsMode ?? config.payments.walletsMode,
    },
  });
  // As at start-up: fees and limits edited in the console (a shared database) override the defaults.
  await payments.rules.load();
  const kycLimits = payments.context.limits.kyc;
  const transfers = new TransferService({
    pool: db.pool,
    ledger,
    users,
    wallets,
    events,
    pinRequiredAbove: config.pinRequiredAbove,
    kycLimits,
  });
  const services: ApiServices = {
    pool: db.pool,
    ledger,
    users,
    tokens,
    consoleSessions: new ConsoleSessions(db.pool, users, testSecrets),
    wallets,
    transfers,
    adjustments: new Adjustments({ pool: db.pool, ledger, wallets }),
    held: new HeldTransfers({
      pool: db.pool,
      ledger,
      wallets,
      holdSeconds: 3600,
      pinRequiredAbove: config.pinRequiredAbove,
      kycLimits,
    }),
    merchants: new Merchants(db.pool),
    // Test receivers listen on this machine; the refusal of private addresses has its own tests.
    merchantWebhooks: new MerchantWebhooks(db.pool, {
      privateUrls: 'allow',
      ...options.merchantWebhooks,
      secrets: testSecrets,
    }),
    payments,
    kyc: new Kyc({
      pool: db.pool,
      events,
      maxBytes: options.kyc?.maxBytes,
      storage: options.kyc?.storage ?? temporaryKycStorage(),
    }),
    events,
    redis: options.redis,
    logger: quietLogger,
    telegramWebhookSecret: options.telegramWebhookSecret
      ? new Secret(options.telegramWebhookSecret)
      : undefined,
  };
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const rateLimits = options.rateLimits ?? { perMinute: 1_000_000, authPerMinute: 1_000_000 };
  const app = await buildApp({
    services,
    logLevel: 'debug',
    logStream,
    rateLimits,
    consoleDir: options.consoleDir,
    secureCookies: options.secureCookies ?? false,
    ...(options.metricsAccess ? { metricsAccess: options.metricsAccess } : {}),
  });
  await app.ready();
  if (options.listen) baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  afterAll(() => app.close());
  const source = `test-funding-${newId('x')}`;
  const sources = new Set<string>();
  let counter = 0;
  const testApi: TestApi = {
    app,
    database: db,
    services,
    logs,
    baseUrl,
    async register(overrides = {}) {
      const email = overrides.email ?? `u${Date.now()}${counter++}@example.com`;
      const password = overrides.password ?? 'correct horse battery';
      const created = await app.inject({
        method: 'POST',
        url: '/v1/users',
        payload: { email, password, ...overrides },
      });
      if (created.statusCode !== 201) throw new Error(`register: ${created.statusCode} ${created.body}`);
      const signin = await app.inject({
        method: 'POST',
        url: '/v1/auth/token',
        payload: { login: overrides.phone ?? email, password },
      });
      if (signin.statusCode !== 200) throw new Error(`sign in: ${signin.statusCode} ${signin.body}`);
      const { access_token, refresh_token } = signin.json();
      return {
        id: created.json().id,
        email,
        password,
        token: access_token,
        refreshToken: refresh_token,
        auth: { authorization: `Bearer ${access_token}` },
      };
    },
    async fund(userId, currency, amount) {
      const from = `${source}-${currency}`;
      if (!sources.has(from)) {
        await ledger.createAccounts([{ id: from, currency, kind: 'suspense' }]);
        sources.add(from);
      }
      const to = await wallets.ensure(userId, currency);
      const [r] = await ledger.createTransfers([
        {
          id: newId('txf'),
          debitAccountId: from,
          creditAccountId: to,
          amount: parseAmount(amount, currency),
          currency,
          code: 'deposit',
        },
      ]);
      if (r?.result !== 'ok') throw new Error(`fund: ${r?.result}`);
    },
    async registerWithPin(funds) {
      const user = await testApi.register();
      const pin = await app.inject({
        method: 'PUT',
        url: '/v1/me/pin',
        headers: user.auth,
        payload: { pin: testPin },
      });
      if (pin.statusCode >= 300) throw new Error(`set PIN: ${pin.statusCode} ${pin.body}`);
      if (funds) await testApi.fund(user.id, funds.currency, funds.amount);
      return user;
    },
    async available(userId, currency) {
      const account = await ledger.getAccount(walletAccountId(userId, currency));
      return account ? availableBalance(account) : 0n;
    },
  };
  return testApi;
}

/** Every /v1 route the app serves, as registered (no database needed: routes don't touch services). */
export async function routeTable(): Promise<RouteOptions[]> {
  const routes: RouteOptions[] = [];
  const app = await buildApp({
    services: routesOnly(),
    logLevel: 'silent',
    onRoute: (route) => routes.push(route),
  });
  await app.ready();
  await app.close();
  return routes.filter((r) => r.url.startsWith('/v1') && r.method !== 'HEAD');
}

/**
 * KYC files in a directory of their own, removed when the test file ends. The directory is made by
 * the first file stored (FileKycStorage.put), so the many apps that never store one leave nothing
 * behind even where the cleanup hook can't be registered (an app built inside a test).
 */
function temporaryKycStorage(): KycStorage {
  const dir = join(tmpdir(), `chatpay-kyc-${randomBytes(6).toString('hex')}`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return new FileKycStorage(dir);
}
