import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parseFeeSchedule } from '../payments/fees.ts';
import { parseKycLimits, parseLimits } from '../payments/limits.ts';
import type { ProviderId } from '../payments/providers/provider.ts';
import { providerDefinitions } from '../payments/providers/registry.ts';
import { ChatPayError } from '../shared/errors.ts';
import { parseAmount } from '../shared/money.ts';
import { Secret } from '../shared/secret.ts';
import { type Config, type Env, envSchema } from './schema.ts';

export interface LoadConfigOptions {
  /** A `.env` file to read under the environment (the environment wins). Missing is fine. */
  readonly envFile?: string | undefined;
}

/**
 * Reads the configuration once. This is the only place that reads `process.env`; everything else is
 * handed the frozen result. Every problem is reported at once, so a bad deployment is fixed in one go.
 */
export function loadConfig(
  environment: NodeJS.ProcessEnv = process.env,
  options: LoadConfigOptions = {},
): Config {
  const fromFile = readEnvFile(options.envFile);
  const known = Object.keys(envSchema.properties);
  const raw: Record<string, string> = {};
  for (const name of known) {
    const value = environment[name] ?? fromFile[name];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  const converted = Value.Convert(envSchema, Value.Default(envSchema, raw));
  const problems = [...Value.Errors(envSchema, converted)].map(
    (e) => `${e.path.slice(1) || '(root)'}: ${e.message}${describeValue(e.path.slice(1), e.value)}`,
  );
  const env = converted as Env;
  problems.push(...crossFieldProblems(env));
  if (problems.length > 0) {
    throw new ChatPayError('config_invalid', {
      message: `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      details: { problems },
    });
  }
  return freeze(env);
}

function readEnvFile(path: string | undefined): Record<string, string> {
  if (path === undefined) return {};
  try {
    return parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}

/**
 * A bad value is echoed back only when its variable can't hold a secret: a number, a flag or one of a
 * fixed set of words. Free text (URLs, tokens, keys, every provider's credentials, and any variable
 * added later) never is, so a new secret can't leak into a config error by being left off a list.
 */
function describeValue(name: string, value: unknown): string {
  const schema = (envSchema.properties as Record<string, TSchema | undefined>)[name];
  return schema && cannotBeSecret(schema) && (typeof value === 'string' || typeof value === 'number')
    ? ` (got ${JSON.stringify(value)})`
    : '';
}

function cannotBeSecret(schema: TSchema): boolean {
  if (['integer', 'number', 'boolean'].includes(schema.type as string)) return true;
  const options = schema.anyOf as TSchema[] | undefined;
  return options?.every((o) => o.const !== undefined) === true;
}

function crossFieldProblems(env: Env): string[] {
  const problems: string[] = [];
  if (env.NODE_ENV === 'production' && env.DATABASE_URL === undefined) {
    problems.push('DATABASE_URL: required in production (the embedded PostgreSQL is for development only)');
  }
  if (env.NODE_ENV === 'production' && env.JWT_SECRET === undefined) {
    problems.push('JWT_SECRET: required in production (development generates one in the data dir)');
  }
  if (env.NODE_ENV === 'production' && env.SECRETS_KEY === undefined) {
    problems.push('SECRETS_KEY: required in production (development generates one in the data dir)');
  }
  const parsers: [keyof Env, (text: string) => unknown][] = [
    ['TRANSFER_PIN_REQUIRED_ABOVE', parsePinThresholds],
    ['WITHDRAWAL_APPROVAL_ABOVE', parsePinThresholds],
    ['PAYMENT_FEES', parseFeeSchedule],
    ['PAYMENT_LIMITS', parseLimits],
    ['KYC_LIMITS', parseKycLimits],
  ];
  for (const [name, parse] of parsers) {
    const text = env[name];
    if (typeof text !== 'string') continue;
    try {
      parse(text);
    } catch (error) {
      problems.push(`${String(name)}: ${(error as Error).message}`);
    }
  }
  problems.push(...kycS3Problems(env));
  for (const definition of providerDefinitions) {
    problems.push(...definition.problems(providerEnv(env, definition.id)));
  }
  return problems;
}

/** KYC documents go to S3 only with the whole set of its settings, never half-configured. */
function kycS3Problems(env: Env): string[] {
  const names = [
    'KYC_S3_ENDPOINT',
    'KYC_S3_BUCKET',
    'KYC_S3_ACCESS_KEY_ID',
    'KYC_S3_SECRET_ACCESS_KEY',
  ] as const;
  const set = names.filter((name) => env[name] !== undefined);
  if (set.length === 0 || set.length === names.length) return [];
  return names
    .filter((name) => env[name] === undefined)
    .map((name) => `${name}: required with ${set.join(', ')} (KYC documents in S3-compatible storage)`);
}

/** The variables of one provider that are set. */
function providerEnv(env: Env, id: ProviderId): Record<string, string> {
  const prefix = `${id.toUpperCase()}_`;
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith(prefix) && typeof value === 'string') values[name] = value;
  }
  return values;
}

function freeze(env: Env): Config {
  const config: Config = {
    env: env.NODE_ENV,
    http: { host: env.HOST, port: env.PORT },
    logLevel: env.LOG_LEVEL,
    dataDir: resolve(env.CHATPAY_DATA_DIR),
    database: {
      url: env.DATABASE_URL === undefined ? undefined : new Secret(env.DATABASE_URL),
      poolMax: env.DATABASE_POOL_MAX,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
    },
    auth: {
      jwtSecret: env.JWT_SECRET === undefined ? undefined : new Secret(env.JWT_SECRET),
      secretsKey: env.SECRETS_KEY === undefined ? undefined : new Secret(env.SECRETS_KEY),
      secretsKeyPrevious:
        env.SECRETS_KEY_PREVIOUS === undefined ? undefined : new Secret(env.SECRETS_KEY_PREVIOUS),
      accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: env.REFRESH_TOKEN_TTL_SECONDS,
    },
    redisUrl: env.REDIS_URL === undefined ? undefined : new Secret(env.REDIS_URL),
    metricsToken: env.METRICS_TOKEN === undefined ? undefined : new Secret(env.METRICS_TOKEN),
    merchantWebhookPrivateUrls:
      env.MERCHANT_WEBHOOK_PRIVATE_URLS ?? (env.NODE_ENV === 'production' ? 'refuse' : 'allow'),
    rateLimit: { perMinute: env.RATE_LIMIT_PER_MINUTE, authPerMinute: env.AUTH_RATE_LIMIT_PER_MINUTE },
    idempotencyKeyRetentionHours: env.IDEMPOTENCY_KEY_RETENTION_HOURS,
    pinRequiredAbove: parsePinThresholds(env.TRANSFER_PIN_REQUIRED_ABOVE),
    publicUrl: (env.PUBLIC_URL ?? `http://${env.HOST}:${env.PORT}`).replace(/\/$/, ''),
    payments: {
      feesJson: env.PAYMENT_FEES,
      limitsJson: env.PAYMENT_LIMITS,
      approvalAbove: parsePinThresholds(env.WITHDRAWAL_APPROVAL_ABOVE),
      walletsMode: env.WALLETS_MODE ?? (env.NODE_ENV === 'production' ? 'live' : 'test'),
      reconcileAfterSeconds: env.PAYMENT_RECONCILE_AFTER_SECONDS,
      expireAfterSeconds: env.PAYMENT_EXPIRE_AFTER_SECONDS,
    },
    providerCalls: {
      timeoutMs: env.PROVIDER_TIMEOUT_MS,
      breakerFailuresMax: env.PROVIDER_BREAKER_FAILURES,
      breakerOpenMs: env.PROVIDER_BREAKER_OPEN_MS,
    },
    providers: Object.fromEntries(providerDefinitions.map((d) => [d.id, providerEnv(env, d.id)])) as Record<
      ProviderId,
      Record<string, string>
    >,
    worker: { concurrency: env.WORKER_CONCURRENCY },
    heldTransferSeconds: env.HELD_TRANSFER_SECONDS,
    telegram: {
      token: env.TELEGRAM_BOT_TOKEN === undefined ? undefined : new Secret(env.TELEGRAM_BOT_TOKEN),
      apiRoot: env.TELEGRAM_API_ROOT.replace(/\/$/, ''),
      webhookSecret:
        env.TELEGRAM_WEBHOOK_SECRET === undefined ? undefined : new Secret(env.TELEGRAM_WEBHOOK_SECRET),
      sessionTimeoutSeconds: env.BOT_SESSION_TIMEOUT_SECONDS,
    },
    kyc: {
      maxBytes: env.KYC_MAX_BYTES,
      limitsJson: env.KYC_LIMITS,
      s3:
        env.KYC_S3_ENDPOINT === undefined
          ? undefined
          : {
              endpoint: env.KYC_S3_ENDPOINT.replace(/\/$/, ''),
              bucket: env.KYC_S3_BUCKET as string,
              region: env.KYC_S3_REGION,
              accessKeyId: env.KYC_S3_ACCESS_KEY_ID as string,
              secretAccessKey: new Secret(env.KYC_S3_SECRET_ACCESS_KEY as string),
            },
    },
    ledger: {
      batchTransfersMax: env.LEDGER_BATCH_TRANSFERS_MAX,
      queueTransfersMax: env.LEDGER_QUEUE_TRANSFERS_MAX,
      batchesInFlightMax: env.LEDGER_BATCHES_IN_FLIGHT_MAX,
      expiryIntervalMs: env.LEDGER_EXPIRY_INTERVAL_MS,
    },
  };
  return deepFreeze(config);
}

/** `ETB=1000,USD=20` → currency → minor units, checked against the currency registry. */
function parsePinThresholds(text: string): ReadonlyMap<string, bigint> {
  const thresholds = new Map<string, bigint>();
  for (const pair of text.split(',')) {
    const [currency = '', amount = ''] = pair.split('=');
    try {
      thresholds.set(currency, parseAmount(amount, currency, { allowNonPositive: true }));
    } catch (error) {
      throw new Error(`${currency}: ${(error as Error).message}`);
    }
  }
  return thresholds;
}

function deepFreeze<T>(value: T): T {
  if (value instanceof Map) return value;
  if (value && typeof value === 'object' && !(value instanceof Secret)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
