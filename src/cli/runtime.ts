import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApiServices } from '../api/context.ts';
import type { Config } from '../config/schema.ts';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../db/embedded.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { createPool, type Pool } from '../db/pool.ts';
import { sealStoredSecrets } from '../db/seal-stored.ts';
import { Ledger } from '../ledger/index.ts';
import { Merchants, MerchantWebhooks } from '../merchants/index.ts';
import { buildPayments, ProviderGateway, type ProviderSetup, setUpProviders } from '../payments/index.ts';
import { providerDefinitions } from '../payments/providers/registry.ts';
import { type EventBus, MemoryEventBus, RedisEventBus } from '../realtime/index.ts';
import type { Logger } from '../shared/logger.ts';
import { connectRedis } from '../shared/redis.ts';
import { SecretBox } from '../shared/sealed.ts';
import { type Secret, Secret as SecretValue } from '../shared/secret.ts';
import { ConsoleSessions, FileKycStorage, Kyc, S3KycStorage, Tokens, Users } from '../users/index.ts';
import { Adjustments, HeldTransfers, TransferService, Wallets } from '../wallets/index.ts';

export interface Database {
  readonly pool: Pool;
  readonly url: Secret;
  /** Present when ChatPay started its own PostgreSQL. */
  readonly embedded: EmbeddedPostgres | undefined;
  close(): Promise<void>;
}

/** Connects to `DATABASE_URL`, or starts the embedded PostgreSQL when it is unset. */
export async function openDatabase(
  config: Config,
  logger: Logger,
  applicationName: string,
): Promise<Database> {
  const embedded = config.database.url
    ? undefined
    : await startEmbeddedPostgres({
        dataDir: config.dataDir,
        logger: logger.child({ component: 'postgres' }),
      });
  const url = (config.database.url ?? embedded?.url) as Secret;
  const pool = createPool({
    url,
    max: config.database.poolMax,
    statementTimeoutMs: config.database.statementTimeoutMs,
    logger,
    applicationName,
  });
  return {
    pool,
    url,
    embedded,
    async close() {
      await pool.end();
      await embedded?.stop();
    },
  };
}

/** Schema migrations, then the data migration of secrets stored in the clear by older versions. */
export async function migrate(database: Database, logger: Logger, config: Config): Promise<void> {
  const results = await migrateToLatest(database.pool);
  for (const result of results)
    logger.info({ migration: result.migrationName, status: result.status }, 'migration');
  const sealed = await sealStoredSecrets(database.pool, await secretBox(config));
  if (sealed > 0) logger.info({ sealed }, 'sealed secrets stored in the clear');
}

/**
 * The box sealing stored secrets: SECRETS_KEY, or in development the one kept in the data dir; with
 * SECRETS_KEY_PREVIOUS during a rotation.
 */
async function secretBox(config: Config): Promise<SecretBox> {
  const current = config.auth.secretsKey ?? (await developmentSecret(config.dataDir, 'secrets-key'));
  const previous = config.auth.secretsKeyPrevious;
  return new SecretBox(current, previous ? [previous] : []);
}

export interface LedgerHandle {
  readonly ledger: Ledger;
  close(): Promise<void>;
}

/** The ledger, with connections of its own for the batching engine (one per batch in flight, plus one). */
export function createLedger(config: Config, database: Database, logger: Logger): LedgerHandle {
  const enginePool = createPool({
    url: database.url,
    max: config.ledger.batchesInFlightMax + 1,
    statementTimeoutMs: config.database.statementTimeoutMs,
    logger,
    applicationName: 'chatpay-ledger',
  });
  const ledger = new Ledger({
    pool: database.pool,
    enginePool,
    logger: logger.child({ component: 'ledger' }),
    ...config.ledger,
  });
  return {
    ledger,
    async close() {
      await ledger.close();
      await enginePool.end();
    },
  };
}

/**
 * The payment providers: configured ones against the real provider; with `sandboxes` (the
 * all-in-one `chatpay start` outside production) the others against sandboxes started here.
 */
export function createProviders(config: Config, logger: Logger, sandboxes: boolean): Promise<ProviderSetup> {
  return setUpProviders({
    definitions: providerDefinitions,
    env: config.providers,
    sandboxes: sandboxes && config.env !== 'production',
    publicUrl: config.publicUrl,
    timeoutMs: config.providerCalls.timeoutMs,
    logger: logger.child({ component: 'providers' }),
  });
}

const paymentRulesPollMs = 3_000;

/** The services behind the API and the worker, wired once. */
export async function createServices(
  config: Config,
  database: Database,
  ledger: Ledger,
  logger: Logger,
  providers: ProviderSetup,
): Promise<ApiServices> {
  const pool = database.pool;
  const users = new Users(pool);
  const wallets = new Wallets(pool, ledger);
  const tokens = new Tokens(pool, {
    secret: config.auth.jwtSecret ?? (await developmentSecret(config.dataDir, 'jwt-secret')),
    accessTokenTtlSeconds: config.auth.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: config.auth.refreshTokenTtlSeconds,
  });
  const secrets = await secretBox(config);
  const redis = config.redisUrl ? connectRedis(config.redisUrl, logger) : undefined;
  const events: EventBus = config.redisUrl
    ? new RedisEventBus({ url: config.redisUrl, logger: logger.child({ component: 'realtime' }) })
    : new MemoryEventBus();
  const merchants = new Merchants(pool);
  const gateway = new ProviderGateway(providers.entries, {
    breakerFailuresMax: config.providerCalls.breakerFailuresMax,
    breakerOpenMs: config.providerCalls.breakerOpenMs,
    attemptsMax: 3,
    logger,
  });
  const payments = buildPayments({
    pool,
    ledger,
    wallets,
    gateway,
    events,
    logger,
    publicUrl: config.publicUrl,
    feesJson: config.payments.feesJson,
    limitsJson: config.payments.limitsJson,
    kycLimitsJson: config.kyc.limitsJson,
    settings: {
      reconcileAfterSeconds: config.payments.reconcileAfterSeconds,
      expireAfterSeconds: config.payments.expireAfterSeconds,
      approvalAbove: config.payments.approvalAbove,
      walletsMode: config.payments.walletsMode,
    },
  });
  // Fees and limits edited in the console override the environment's, here and (by polling) in
  // every other process within a few seconds.
  await payments.rules.load();
  payments.rules.watch(paymentRulesPollMs);
  if (payments.walletProviders().length === 0) {
    // Not fatal (merchants may still collect), but people can't move money in or out: say so at start.
    logger.warn(
      {
        walletsMode: config.payments.walletsMode,
        providers: payments.providers().map((p) => `${p.id}:${p.mode}`),
      },
      "no provider runs in the wallets' mode (WALLETS_MODE): people can neither deposit nor withdraw",
    );
  }
  // The payments' KYC_LIMITS: its `transfer` rules limit what people send.
  const kycLimits = payments.context.limits.kyc;
  const transfers = new TransferService({
    pool,
    ledger,
    users,
    wallets,
    events,
    pinRequiredAbove: config.pinRequiredAbove,
    kycLimits,
  });
  const idempotencyPool = createPool({
    url: database.url,
    max: Math.max(2, Math.ceil(config.database.poolMax / 2)),
    statementTimeoutMs: config.database.statementTimeoutMs,
    logger,
    applicationName: 'chatpay-idempotency',
    asynchronousCommit: true,
  });
  return {
    pool,
    ledger,
    users,
    tokens,
    consoleSessions: new ConsoleSessions(pool, users, secrets),
    wallets,
    transfers,
    adjustments: new Adjustments({ pool: pool, ledger, wallets }),
    held: new HeldTransfers({
      pool,
      ledger,
      wallets,
      holdSeconds: config.heldTransferSeconds,
      pinRequiredAbove: config.pinRequiredAbove,
      kycLimits,
    }),
    merchants,
    merchantWebhooks: new MerchantWebhooks(pool, { privateUrls: config.merchantWebhookPrivateUrls, secrets }),
    payments,
    kyc: new Kyc({
      pool,
      events,
      maxBytes: config.kyc.maxBytes,
      storage: config.kyc.s3
        ? new S3KycStorage(config.kyc.s3)
        : new FileKycStorage(join(config.dataDir, 'kyc')),
    }),
    events,
    redis,
    idempotencyPool,
    logger,
    telegramWebhookSecret: config.telegram.webhookSecret,
    telegramInline: {},
  };
}

export async function closeServices(services: ApiServices): Promise<void> {
  services.payments.rules.close();
  await services.events.close();
  await services.idempotencyPool?.end();
  // quit() needs a live connection; disconnect() also stops a client that is still reconnecting.
  await services.redis?.quit().catch(() => services.redis?.disconnect());
}

/**
 * Outside production a secret that was not configured is made once, at random, and kept in the data
 * dir (mode 0600): no default secret exists anywhere. Production refuses to start without it.
 */
async function developmentSecret(dataDir: string, name: string): Promise<Secret> {
  const path = join(dataDir, name);
  await mkdir(dataDir, { recursive: true });
  try {
    return new SecretValue((await readFile(path, 'utf8')).trim());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const value = randomBytes(48).toString('base64url');
    try {
      await writeFile(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
      return new SecretValue(value);
    } catch (raced) {
      if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
      return new SecretValue((await readFile(path, 'utf8')).trim());
    }
  }
}

/**
 * Runs `stop` once on the first SIGINT or SIGTERM; a second signal exits at once, for an operator
 * whose graceful stop is stuck.
 */
export function onShutdownSignal(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
