import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { ChatPayError } from '../../shared/errors.ts';
import { principalKey, routeOf } from '../context.ts';

export interface RateLimits {
  /** Per signed-in caller (per IP when anonymous), per minute, on every /v1 route. */
  readonly perMinute: number;
  /** Per IP, per minute, on sign-up, sign-in and refresh: where passwords are guessed. */
  readonly authPerMinute: number;
}

export const authRateLimited = new Set([
  '/v1/users',
  '/v1/auth/token',
  '/v1/auth/refresh',
  '/v1/console/sign-in',
  '/v1/console/sign-in/totp',
]);

function keyOf(request: FastifyRequest): string {
  if (authRateLimited.has(routeOf(request).url ?? '')) return `auth:${request.ip}`;
  return principalKey(request.principal, request.ip);
}

/**
 * Rate limits shared by every API process through Redis when there is one (else counted in memory).
 * Counted after authentication, so a signed-in caller's budget follows them across IPs; auth routes
 * count per IP. Over the limit: 429 `rate_limited` with Retry-After.
 */
export async function registerRateLimit(
  app: FastifyInstance,
  limits: RateLimits,
  redis?: Redis,
): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: (request) =>
      authRateLimited.has(routeOf(request).url ?? '') ? limits.authPerMinute : limits.perMinute,
    timeWindow: 60_000,
    keyGenerator: keyOf,
    allowList: (request) =>
      !(routeOf(request).url ?? '').startsWith('/v1') || routeOf(request).config.inbox === true,
    nameSpace: 'chatpay-rate-limit:',
    // Fail open: while Redis is away requests go unlimited rather than failing (authentication still
    // applies, and /ready reports the outage to the load balancer).
    ...(redis ? { redis, skipOnError: true } : {}),
    errorResponseBuilder: (_request, context) => {
      const error = new ChatPayError('rate_limited', {
        message: `Too many requests; retry after ${Math.ceil(context.ttl / 1000)} seconds.`,
      });
      return Object.assign(error, { statusCode: 429 });
    },
  });
}
