import AjvCompiler from '@fastify/ajv-compiler';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { isDatabaseReady } from '../db/pool.ts';
import { redactPaths } from '../shared/logger.ts';
import type { ApiServices } from './context.ts';
import { registerAuth } from './plugins/auth.ts';
import { registerErrorHandling } from './plugins/errors.ts';
import { registerIdempotency } from './plugins/idempotency.ts';
import { genRequestId, registerRequestId } from './plugins/request-id.ts';
import { authRoutes, TokenPair } from './routes/auth.ts';
import { meRoutes, TransactionSchemaRef } from './routes/me.ts';
import { TransferSchema, transferRoutes } from './routes/transfers.ts';
import { UserSchema, userRoutes } from './routes/users.ts';
import { WalletSchema, walletRoutes } from './routes/wallets.ts';
import { ErrorEnvelope } from './schemas.ts';

export interface AppOptions {
  readonly services: ApiServices;
  readonly logLevel: string;
  /** Tests pass a stream to read what would be logged. */
  readonly logStream?: NodeJS.WritableStream;
  /** Sees every route as it is added (tests check each one's schema and access). */
  readonly onRoute?: (route: RouteOptions) => void;
}

export const apiVersion = '2026-11-23';

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
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    genReqId: genRequestId,
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

  registerRequestId(app);
  registerErrorHandling(app);
  registerAuth(app, services);
  registerIdempotency(app, services.pool);

  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/ready', { schema: { hide: true } }, async (_request, reply) => {
    const database = await isDatabaseReady(services.pool);
    if (!database) reply.code(503);
    return {
      status: database ? 'ready' : 'unavailable',
      checks: { database: database ? 'ok' : 'unavailable' },
    };
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(userRoutes(services));
  await app.register(authRoutes(services));
  await app.register(meRoutes(services));
  await app.register(walletRoutes(services));
  await app.register(transferRoutes(services));
  return app;
}
