import { type Static, Type } from '@sinclair/typebox';

/**
 * The one configuration schema: every environment variable ChatPay reads, its type, bounds, default
 * and meaning. The loader validates against it; the README's configuration table lists the same
 * variables (a test keeps the two in step).
 */
export const envSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('test'), Type.Literal('production')], {
    default: 'development',
    description: 'development, test or production. Production refuses embedded defaults.',
  }),
  HOST: Type.String({ default: '127.0.0.1', minLength: 1, description: 'Interface the HTTP server binds.' }),
  PORT: Type.Integer({
    default: 3000,
    minimum: 0,
    maximum: 65535,
    description: 'HTTP port (0 picks a free one).',
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info', description: 'pino log level.' },
  ),
  CHATPAY_DATA_DIR: Type.String({
    default: './.chatpay',
    minLength: 1,
    description: 'Where the embedded PostgreSQL keeps its data (and other local state).',
  }),
  DATABASE_URL: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://',
      description: 'PostgreSQL connection URL. Unset: an embedded PostgreSQL is started in the data dir.',
    }),
  ),
  DATABASE_POOL_MAX: Type.Integer({
    default: 20,
    minimum: 2,
    maximum: 500,
    description: 'Connections in the pool.',
  }),
  DATABASE_STATEMENT_TIMEOUT_MS: Type.Integer({
    default: 30_000,
    minimum: 100,
    maximum: 600_000,
    description: 'Server-side limit on any one statement.',
  }),
  LEDGER_BATCH_TRANSFERS_MAX: Type.Integer({
    default: 4096,
    minimum: 1,
    maximum: 65_536,
    description: 'Most transfers the ledger commits in one database transaction.',
  }),
  LEDGER_QUEUE_TRANSFERS_MAX: Type.Integer({
    default: 100_000,
    minimum: 1,
    maximum: 10_000_000,
    description: 'Most transfers waiting for a batch; beyond it callers get ledger_overloaded.',
  }),
  LEDGER_BATCHES_IN_FLIGHT_MAX: Type.Integer({
    default: 2,
    minimum: 1,
    maximum: 16,
    description: 'Batches committing at once, each on its own connection, never sharing an account.',
  }),
  LEDGER_EXPIRY_INTERVAL_MS: Type.Integer({
    default: 1_000,
    minimum: 10,
    maximum: 3_600_000,
    description: 'How often expired pending transfers are voided.',
  }),
  REDIS_URL: Type.Optional(
    Type.String({
      pattern: '^rediss?://',
      description:
        'Redis for rate limits and realtime fan-out across API processes. Unset: in-process equivalents (one node).',
    }),
  ),
  RATE_LIMIT_PER_MINUTE: Type.Integer({
    default: 600,
    minimum: 1,
    maximum: 1_000_000,
    description: 'Requests per minute per signed-in caller (per IP for anonymous ones).',
  }),
  AUTH_RATE_LIMIT_PER_MINUTE: Type.Integer({
    default: 20,
    minimum: 1,
    maximum: 100_000,
    description: 'Requests per minute per IP on sign-up, sign-in and token refresh.',
  }),
  IDEMPOTENCY_KEY_RETENTION_HOURS: Type.Integer({
    default: 168,
    minimum: 72,
    maximum: 8_760,
    description: 'How long Idempotency-Keys and their answers are kept (at least 72 hours).',
  }),
  JWT_SECRET: Type.Optional(
    Type.String({
      minLength: 32,
      description:
        'Signs access tokens (HS256), at least 32 characters. Required in production; in development a random one is kept in the data dir.',
    }),
  ),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({
    default: 900,
    minimum: 60,
    maximum: 86_400,
    description: 'Lifetime of an access token.',
  }),
  REFRESH_TOKEN_TTL_SECONDS: Type.Integer({
    default: 2_592_000,
    minimum: 3_600,
    maximum: 31_536_000,
    description: 'Lifetime of a refresh token (each use rotates it).',
  }),
  TRANSFER_PIN_REQUIRED_ABOVE: Type.String({
    default:
      'ETB=1000,KES=2500,USD=20,EUR=20,NGN=30000,ZWG=500,TZS=50000,UGX=75000,RWF=25000,USDT=20,BTC=0.0003,ETH=0.008',
    pattern: '^([A-Z]{3,5}=[0-9]+(\\.[0-9]+)?)(,[A-Z]{3,5}=[0-9]+(\\.[0-9]+)?)*$',
    description:
      'Per currency, the amount (major units) above which a transfer needs the PIN. Unlisted currencies always need it.',
  }),
});

export type Env = Static<typeof envSchema>;

/** Configuration as the rest of the program sees it: parsed, typed, frozen. */
export interface Config {
  readonly env: Env['NODE_ENV'];
  readonly http: { readonly host: string; readonly port: number };
  readonly logLevel: string;
  readonly dataDir: string;
  readonly database: {
    /** Undefined when ChatPay should start its embedded PostgreSQL. */
    readonly url: import('../shared/secret.ts').Secret | undefined;
    readonly poolMax: number;
    readonly statementTimeoutMs: number;
  };
  readonly auth: {
    /** Undefined in development until the runtime generates one in the data dir. */
    readonly jwtSecret: import('../shared/secret.ts').Secret | undefined;
    readonly accessTokenTtlSeconds: number;
    readonly refreshTokenTtlSeconds: number;
  };
  readonly redisUrl: import('../shared/secret.ts').Secret | undefined;
  readonly rateLimit: { readonly perMinute: number; readonly authPerMinute: number };
  readonly idempotencyKeyRetentionHours: number;
  /** Currency → minor units above which a transfer needs the PIN. */
  readonly pinRequiredAbove: ReadonlyMap<string, bigint>;
  readonly ledger: {
    readonly batchTransfersMax: number;
    readonly queueTransfersMax: number;
    readonly batchesInFlightMax: number;
    readonly expiryIntervalMs: number;
  };
}
