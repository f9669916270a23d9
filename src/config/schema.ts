import { type Static, Type } from '@sinclair/typebox';
import type { ProviderId } from '../payments/providers/provider.ts';
import { providerDefinitions } from '../payments/providers/registry.ts';

/**
 * The one configuration schema: every environment variable ChatPay reads, its type, bounds, default
 * and meaning. The loader validates against it; the README's configuration table lists the same
 * variables (a test keeps the two in step).
 */
const amountsPerCurrency = '^([A-Z]{3,5}=[0-9]+(\\.[0-9]+)?)(,[A-Z]{3,5}=[0-9]+(\\.[0-9]+)?)*$';

// KYC_LIMITS' default, per currency: [none per transaction, none a day, basic per transaction, basic
// a day], about 100/200 and 1,000/3,000 US dollars; `full` has no KYC limit (PAYMENT_LIMITS still apply).
const kycLimitsDefault = JSON.stringify(
  Object.entries({
    USD: ['100', '200', '1000', '3000'],
    EUR: ['100', '200', '1000', '3000'],
    USDT: ['100', '200', '1000', '3000'],
    ETB: ['10000', '20000', '100000', '300000'],
    KES: ['10000', '20000', '100000', '300000'],
    NGN: ['150000', '300000', '1500000', '4500000'],
    ZWG: ['2500', '5000', '25000', '75000'],
    TZS: ['250000', '500000', '2500000', '7500000'],
    UGX: ['350000', '700000', '3500000', '10000000'],
    RWF: ['140000', '280000', '1400000', '4200000'],
    BTC: ['0.001', '0.002', '0.01', '0.03'],
    ETH: ['0.03', '0.06', '0.3', '0.9'],
  }).flatMap(([currency, [noneTx, noneDay, basicTx, basicDay]]) => [
    { level: 'none', currency, per_transaction_max: noneTx, per_day_max: noneDay },
    { level: 'basic', currency, per_transaction_max: basicTx, per_day_max: basicDay },
  ]),
);

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
  // One by default: on two cores (bench:api, 2026-11-24, six alternating pairs) a second batch in
  // flight halved the batches' size for no gain in overlap, and cost the API ~40 µs and PostgreSQL
  // ~5 % of the machine per transfer at 2,000/s. Where cores are spare for it, 2 or more let one batch
  // be written while another waits for its commit's flush.
  LEDGER_BATCHES_IN_FLIGHT_MAX: Type.Integer({
    default: 1,
    minimum: 1,
    maximum: 16,
    description:
      'Batches committing at once, each on its own connection, never sharing an account. More than one pays where cores are spare.',
  }),
  LEDGER_EXPIRY_INTERVAL_MS: Type.Integer({
    default: 1_000,
    minimum: 10,
    maximum: 3_600_000,
    description: 'How often expired pending transfers are voided.',
  }),
  WALLETS_MODE: Type.Optional(
    Type.Union([Type.Literal('test'), Type.Literal('live')], {
      description:
        "The mode of the money in people's wallets: their deposits and withdrawals go only through providers in this mode, so money from a sandbox can never leave through a real provider. Unset: live in production, test otherwise.",
    }),
  ),
  MERCHANT_WEBHOOK_PRIVATE_URLS: Type.Optional(
    Type.Union([Type.Literal('allow'), Type.Literal('refuse')], {
      description:
        'Merchant webhook endpoints on private, loopback or link-local addresses: refuse (a merchant must not reach into your network) or allow (receivers on your own network). Unset: refuse in production, allow otherwise.',
    }),
  ),
  METRICS_TOKEN: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_-]{24,256}$',
      description:
        'Bearer token Prometheus sends to scrape GET /metrics. Unset: /metrics is open in development and refused in production.',
    }),
  ),
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
  SECRETS_KEY: Type.Optional(
    Type.String({
      minLength: 32,
      description:
        'Seals secrets stored in the database that must be read back (operators’ TOTP seeds, merchant webhook signing secrets), at least 32 characters. Required in production; in development a random one is kept in the data dir. Losing it loses those secrets.',
    }),
  ),
  SECRETS_KEY_PREVIOUS: Type.Optional(
    Type.String({
      minLength: 32,
      description:
        'While rotating SECRETS_KEY: the old key. Secrets sealed under it still open, and `chatpay migrate` re-seals them under SECRETS_KEY; remove it once that has run.',
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
    pattern: amountsPerCurrency,
    description:
      'Per currency, the amount (major units) above which a transfer needs the PIN. Unlisted currencies always need it.',
  }),
  PUBLIC_URL: Type.Optional(
    Type.String({
      pattern: '^https?://[^/?#]+(/[^?#]*)?$',
      description:
        'The URL providers and browsers reach this server at; callbacks go to <PUBLIC_URL>/v1/webhooks/<provider>. Default: http://HOST:PORT.',
    }),
  ),
  PAYMENT_FEES: Type.String({
    default: '[{"provider":"*","currency":"*","direction":"withdrawal","percent":"1"}]',
    description:
      'Fee schedule, a JSON array of {provider|*, currency|*, direction deposit|withdrawal, percent, fixed?, min?, max?} (amounts in major units). The most specific rule wins; none means no fee.',
  }),
  PAYMENT_LIMITS: Type.String({
    default: '[]',
    description:
      'Limits per user and currency, a JSON array of {currency, direction, per_transaction_min?, per_transaction_max?, per_day_max?} (major units; a day is the last 24 hours).',
  }),
  WITHDRAWAL_APPROVAL_ABOVE: Type.String({
    default:
      'ETB=50000,KES=100000,USD=1000,EUR=1000,NGN=1000000,ZWG=20000,TZS=2000000,UGX=3000000,RWF=1000000,USDT=1000,BTC=0.02,ETH=0.5',
    pattern: amountsPerCurrency,
    description:
      'Per currency, the amount (major units) above which a withdrawal waits for a finance operator’s approval. Unlisted currencies always wait.',
  }),
  PAYMENT_RECONCILE_AFTER_SECONDS: Type.Integer({
    default: 120,
    minimum: 5,
    maximum: 86_400,
    description:
      'A payment still pending this long after creation is asked about at the provider (then ever less often).',
  }),
  PAYMENT_EXPIRE_AFTER_SECONDS: Type.Integer({
    default: 3_600,
    minimum: 60,
    maximum: 604_800,
    description:
      'A deposit or collection the provider still calls pending this long after creation ends expired.',
  }),
  PROVIDER_TIMEOUT_MS: Type.Integer({
    default: 15_000,
    minimum: 100,
    maximum: 120_000,
    description: 'Timeout of every HTTP call to a payment provider.',
  }),
  PROVIDER_BREAKER_FAILURES: Type.Integer({
    default: 5,
    minimum: 1,
    maximum: 1_000,
    description:
      'Consecutive timeouts or outages that open a provider’s circuit (new payments through it then fail fast).',
  }),
  PROVIDER_BREAKER_OPEN_MS: Type.Integer({
    default: 30_000,
    minimum: 100,
    maximum: 3_600_000,
    description: 'How long an open circuit waits before one trial call.',
  }),
  WORKER_CONCURRENCY: Type.Integer({
    default: 4,
    minimum: 1,
    maximum: 256,
    description:
      'Jobs (webhook application, payouts, notifications, reconciliation) one worker runs at once.',
  }),
  TELEGRAM_BOT_TOKEN: Type.Optional(
    Type.String({
      pattern: '^[0-9]{3,20}:[A-Za-z0-9_-]{20,100}$',
      description:
        'The bot token from @BotFather. Set: `chatpay start` and `chatpay bot` run the Telegram bot. Unset in development: `chatpay start` runs the bot against a local Bot API sandbox with a chat simulator at /simulator.',
    }),
  ),
  TELEGRAM_API_ROOT: Type.String({
    default: 'https://api.telegram.org',
    pattern: '^https?://',
    description: 'The Bot API server: Telegram’s, a self-hosted one, or a sandbox.',
  }),
  TELEGRAM_WEBHOOK_SECRET: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_-]{16,256}$',
      description:
        'Webhook mode: Telegram sends it in X-Telegram-Bot-Api-Secret-Token to POST /v1/channels/telegram/webhook. Unset: long polling.',
    }),
  ),
  HELD_TRANSFER_SECONDS: Type.Integer({
    default: 604_800,
    minimum: 60,
    maximum: 7_776_000,
    description:
      'Money sent to someone not on ChatPay yet waits this long for them to join, then goes back to the sender.',
  }),
  BOT_SESSION_TIMEOUT_SECONDS: Type.Integer({
    default: 900,
    minimum: 30,
    maximum: 86_400,
    description: 'A bot conversation idle this long is over; the next message starts from the menu.',
  }),
  KYC_MAX_BYTES: Type.Integer({
    default: 5 * 1024 * 1024,
    minimum: 1024,
    maximum: 20 * 1024 * 1024,
    description: 'Largest KYC document accepted (bytes); a bigger upload is cut off as it streams in.',
  }),
  KYC_LIMITS: Type.String({
    default: kycLimitsDefault,
    description:
      'Limits per KYC level, a JSON array of {level none|basic|full, currency, direction? deposit|withdrawal|transfer (unset: deposits and withdrawals; transfer: what people send to others), per_transaction_max?, per_day_max?} (major units; a day is the last 24 hours). A level without a rule for a currency has no KYC limit there.',
  }),
  KYC_S3_ENDPOINT: Type.Optional(
    Type.String({
      pattern: '^https?://[^/?#]+/?$',
      description:
        'S3-compatible storage for KYC documents (path-style, e.g. https://s3.eu-west-1.amazonaws.com). Unset: files under CHATPAY_DATA_DIR/kyc.',
    }),
  ),
  KYC_S3_BUCKET: Type.Optional(
    Type.String({
      pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
      description: 'The bucket for KYC documents.',
    }),
  ),
  KYC_S3_REGION: Type.String({
    default: 'us-east-1',
    pattern: '^[a-z0-9-]{1,40}$',
    description: 'The region requests are signed for (SigV4).',
  }),
  KYC_S3_ACCESS_KEY_ID: Type.Optional(
    Type.String({ minLength: 1, maxLength: 128, description: 'Access key id for the KYC bucket.' }),
  ),
  KYC_S3_SECRET_ACCESS_KEY: Type.Optional(
    Type.String({ minLength: 1, maxLength: 256, description: 'Secret access key for the KYC bucket.' }),
  ),
  ...Object.fromEntries(providerDefinitions.flatMap((d) => Object.entries(d.env.properties))),
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
    /** Undefined in development until the runtime generates one in the data dir (src/shared/sealed.ts). */
    readonly secretsKey: import('../shared/secret.ts').Secret | undefined;
    /** SECRETS_KEY_PREVIOUS: a key being rotated out, opening only what it sealed. */
    readonly secretsKeyPrevious: import('../shared/secret.ts').Secret | undefined;
    readonly accessTokenTtlSeconds: number;
    readonly refreshTokenTtlSeconds: number;
  };
  readonly redisUrl: import('../shared/secret.ts').Secret | undefined;
  /** Who may scrape /metrics: the holder of this token; without one, anyone in development, no one in production. */
  readonly metricsToken: import('../shared/secret.ts').Secret | undefined;
  /** Merchant webhook endpoints on non-public addresses (src/shared/public-address.ts). */
  readonly merchantWebhookPrivateUrls: 'allow' | 'refuse';
  readonly rateLimit: { readonly perMinute: number; readonly authPerMinute: number };
  readonly idempotencyKeyRetentionHours: number;
  /** Currency → minor units above which a transfer needs the PIN. */
  readonly pinRequiredAbove: ReadonlyMap<string, bigint>;
  /** The base URL callbacks and checkout returns use. */
  readonly publicUrl: string;
  readonly payments: {
    readonly feesJson: string;
    readonly limitsJson: string;
    /** Currency → minor units above which a withdrawal needs approval. */
    readonly approvalAbove: ReadonlyMap<string, bigint>;
    /** People's wallets hold money of this mode: their deposits and withdrawals use only its providers. */
    readonly walletsMode: 'test' | 'live';
    readonly reconcileAfterSeconds: number;
    readonly expireAfterSeconds: number;
  };
  readonly providerCalls: {
    readonly timeoutMs: number;
    readonly breakerFailuresMax: number;
    readonly breakerOpenMs: number;
  };
  /** Each provider's environment variables as set (unset ones absent). */
  readonly providers: Readonly<Record<ProviderId, Readonly<Record<string, string>>>>;
  readonly worker: { readonly concurrency: number };
  readonly heldTransferSeconds: number;
  readonly telegram: {
    readonly token: import('../shared/secret.ts').Secret | undefined;
    readonly apiRoot: string;
    readonly webhookSecret: import('../shared/secret.ts').Secret | undefined;
    readonly sessionTimeoutSeconds: number;
  };
  readonly kyc: {
    readonly maxBytes: number;
    /** `KYC_LIMITS` (JSON). */
    readonly limitsJson: string;
    /** S3-compatible storage; undefined: the data directory. */
    readonly s3:
      | {
          readonly endpoint: string;
          readonly bucket: string;
          readonly region: string;
          readonly accessKeyId: string;
          readonly secretAccessKey: import('../shared/secret.ts').Secret;
        }
      | undefined;
  };
  readonly ledger: {
    readonly batchTransfersMax: number;
    readonly queueTransfersMax: number;
    readonly batchesInFlightMax: number;
    readonly expiryIntervalMs: number;
  };
}
