import AjvCompiler from '@fastify/ajv-compiler';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import type { Redis } from 'ioredis';
import { isDatabaseReady } from '../db/pool.ts';
import { registerRealtime, registerWebSocket } from '../realtime/index.ts';
import { ChatPayError } from '../shared/errors.ts';
import { redactPaths } from '../shared/logger.ts';
import { registerConsole } from './console-static.ts';
import type { ApiServices } from './context.ts';
import { registerAudit } from './plugins/audit.ts';
import { registerAuth } from './plugins/auth.ts';
import { frameworkErrors, registerErrorHandling } from './plugins/errors.ts';
import { registerIdempotency } from './plugins/idempotency.ts';
import { type MetricsAccess, registerMetrics } from './plugins/metrics.ts';
import { type RateLimits, registerRateLimit } from './plugins/rate-limit.ts';
import { genRequestId, registerRequestId } from './plugins/request-id.ts';
import { lazyRequestLogger } from './plugins/request-logger.ts';
import { authRoutes, TokenPair } from './routes/auth.ts';
import { adjustmentRoutes } from './routes/console/adjustments.ts';
import { consoleAuditRoutes } from './routes/console/audit.ts';
import { dashboardRoutes } from './routes/console/dashboard.ts';
import { kycReviewRoutes } from './routes/console/kyc.ts';
import { consoleMerchantRoutes } from './routes/console/merchants.ts';
import { consoleOperatorRoutes } from './routes/console/operators.ts';
import { consoleProviderRoutes } from './routes/console/providers.ts';
import { consoleSessionRoutes } from './routes/console/session.ts';
import { consoleTransactionRoutes } from './routes/console/transactions.ts';
import { consoleUserRoutes } from './routes/console/users.ts';
import { depositWithdrawalRoutes, paymentSchemas } from './routes/deposits-withdrawals.ts';
import { kycRoutes } from './routes/kyc.ts';
import { merchantPaymentRoutes } from './routes/merchant-payments.ts';
import { merchantWebhookRoutes, merchantWebhookSchemas } from './routes/merchant-webhooks.ts';
import { merchantRoutes, merchantSchemas } from './routes/merchants.ts';
import { operationRoutes } from './routes/operations.ts';
import { telegramRoutes } from './routes/telegram.ts';
import { TransactionSchemaRef, transactionRoutes } from './routes/transactions.ts';
import { TransferSchema, transferRoutes } from './routes/transfers.ts';
import { UserSchema, userRoutes } from './routes/users.ts';
import { WalletSchema, walletRoutes } from './routes/wallets.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { ErrorEnvelope } from './schemas.ts';

export interface AppOptions {
  readonly services: ApiServices;
  readonly logLevel: string;
  /** Tests pass a stream to read what would be logged. */
  readonly logStream?: NodeJS.WritableStream;
  /** Defaults: 600 a minute per caller, 20 a minute per IP on auth routes. */
  readonly rateLimits?: RateLimits;
  /** Where the chat simulator lives (the local Telegram sandbox's chat page), once the bot runs. */
  readonly simulatorUrl?: () => string | undefined;
  /** Merchants' webhook endpoints must be https (production). */
  readonly httpsWebhooksOnly?: boolean;
  /** Production: the console's session cookie is `Secure` (sent over HTTPS only). */
  readonly secureCookies?: boolean;
  /**
   * Who may scrape `/metrics`: `open` (development), a bearer token, or `closed` (production without
   * a token). Default: open.
   */
  readonly metricsAccess?: MetricsAccess;
  /** The built console (`web/dist`), served at /console. */
  readonly consoleDir?: string | undefined;
  /** Sees every route as it is added (tests check each one's schema and access). */
  readonly onRoute?: (route: RouteOptions) => void;
}

export const apiVersion = '2026-11-23';

const defaultRateLimits: RateLimits = { perMinute: 600, authPerMinute: 20 };

// What a request log line says about the request. Query strings are cut: `?access_token=` must
// never reach a log.
function requestForLog(request: {
  method: string;
  url: string;
  ip?: string;
  headers: Record<string, unknown>;
}) {
  return {
    method: request.method,
    url: withoutSecrets(request.url),
    ip: request.ip,
    user_agent: request.headers['user-agent'],
  };
}

/**
 * The URL as it may be logged: no query string (`?access_token=`), and no secret path token of an
 * unsigned provider's callback (`/v1/webhooks/mpesa/<token>`).
 */
export function withoutSecrets(url: string): string {
  const path = url.split('?')[0] ?? '';
  return path.replace(/^(\/v1\/webhooks\/[^/]+\/)[^/]+/, '$1[redacted]');
}

const ajvCompilers = AjvCompiler();

/**
 * Query strings, path params and headers arrive as text, so their validator coerces (`limit=20`
 * becomes 20). Bodies are JSON and must be validated as sent: coercion would turn `"amount": 10.1`
 * (a float, refused on principle) into the string "10.1".
 */
type Compile = (route: AjvCompiler.RouteDefinition) => unknown;
const strictBodies = ((externalSchemas: unknown, options?: { customOptions?: object }) => {
  const build = ajvCompilers as unknown as (schemas: unknown, options: unknown) => Compile;
  const coercing = build(externalSchemas, options);
  const strict = build(externalSchemas, {
    ...options,
    customOptions: { ...options?.customOptions, coerceTypes: false },
  });
  return (route: AjvCompiler.RouteDefinition) =>
    route.httpPart === 'body' ? strict(route) : coercing(route);
}) as unknown as AjvCompiler.BuildCompilerFromPool;

async function isRedisReady(redis: Redis, timeoutMs = 1_000): Promise<boolean> {
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  return Promise.race([
    redis.ping().then(
      () => true,
      () => false,
    ),
    timeout,
  ]);
}

/**
 * The HTTP application: `/health` (alive), `/ready` (can serve), `/v1/*` (the API), `/openapi.json`
 * and `/docs`. Route schemas are the one source of validation, response serialisation and OpenAPI.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { services } = options;
  const app = Fastify({
    logger: {
      level: options.logLevel,
      redact: { paths: [...redactPaths, 'req.body', 'res.body'], censor: '[redacted]' },
      serializers: { req: requestForLog },
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    genReqId: genRequestId,
    childLoggerFactory: lazyRequestLogger,
    frameworkErrors,
    bodyLimit: 64 * 1024,
    requestTimeout: 30_000,
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    schemaController: { compilersFactory: { buildValidator: strictBodies } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  if (options.onRoute) app.addHook('onRoute', options.onRoute);
  for (const schema of [
    ErrorEnvelope,
    UserSchema,
    TokenPair,
    WalletSchema,
    TransferSchema,
    TransactionSchemaRef,
    ...merchantSchemas,
    ...paymentSchemas,
    ...merchantWebhookSchemas,
  ]) {
    app.addSchema(schema);
  }
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'ChatPay API',
        version: apiVersion,
        description:
          'Wallets, transfers and payments for chat-first markets. Amounts are decimal strings in major units. Every POST accepts an Idempotency-Key. Errors: see docs/errors.md.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  await registerWebSocket(app);
  app.decorateRequest('matchedRoute', null); // routeOf (context.ts)
  registerRequestId(app);
  // Only the console's operator routes read a cookie (auth.ts parses it there); parsing every
  // request's Cookie header would cost each API call for nothing. Setting cookies still works.
  await app.register(cookie, { hook: false });
  registerErrorHandling(app);
  registerAuth(app, services);
  await registerRateLimit(app, options.rateLimits ?? defaultRateLimits, services.redis);
  registerIdempotency(app, services.idempotencyPool ?? services.pool);
  registerAudit(app, services.pool);
  registerMetrics(app, { pool: services.pool, ledger: services.ledger }, options.metricsAccess ?? 'open');

  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/ready', { schema: { hide: true } }, async (_request, reply) => {
    const [database, realtime] = await Promise.all([
      isDatabaseReady(services.pool),
      services.events.isReady(),
    ]);
    const redis = services.redis ? await isRedisReady(services.redis) : undefined;
    const ok = database && realtime && redis !== false;
    if (!ok) reply.code(503);
    const state = (up: boolean) => (up ? 'ok' : 'unavailable');
    const checks = { database: state(database), realtime: state(realtime) };
    return {
      status: ok ? 'ready' : 'unavailable',
      checks: redis === undefined ? checks : { ...checks, redis: state(redis) },
    };
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // Try the bot without Telegram: on embedded defaults the bot talks to a local Bot API sandbox whose
  // chat page lets a person be the Telegram user.
  app.get('/simulator', { schema: { hide: true } }, async (_request, reply) => {
    const url = options.simulatorUrl?.();
    if (!url) throw new ChatPayError('route_not_found');
    return reply.redirect(url);
  });

  await app.register(userRoutes(services));
  await app.register(authRoutes(services));
  await app.register(transactionRoutes(services));
  await app.register(walletRoutes(services));
  await app.register(transferRoutes(services));
  await app.register(merchantRoutes(services));
  await app.register(depositWithdrawalRoutes(services));
  await app.register(merchantPaymentRoutes(services));
  await app.register(merchantWebhookRoutes(services, { httpsOnly: options.httpsWebhooksOnly ?? false }));
  await app.register(operationRoutes(services));
  await app.register(kycRoutes(services));
  await app.register(kycReviewRoutes(services));
  await app.register(dashboardRoutes(services));
  await app.register(consoleTransactionRoutes(services));
  await app.register(consoleUserRoutes(services));
  await app.register(consoleAuditRoutes(services));
  await app.register(consoleMerchantRoutes(services));
  await app.register(consoleOperatorRoutes(services));
  await app.register(consoleProviderRoutes(services));
  await app.register(consoleSessionRoutes(services, { secureCookie: options.secureCookies ?? false }));
  await app.register(adjustmentRoutes(services));
  await app.register(webhookRoutes(services));
  await app.register(telegramRoutes(services));
  await registerRealtime(app, { bus: services.events });
  await registerConsole(app, options.consoleDir);
  return app;
}
