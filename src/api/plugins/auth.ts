import type { FastifyInstance } from 'fastify';
import type { KeyMode } from '../../merchants/index.ts';
import { ChatPayError } from '../../shared/errors.ts';
import { operatorRoles } from '../../users/index.ts';
import type { ApiServices, Principal } from '../context.ts';

/**
 * Checks, before anything else runs, that the caller may use the route: `public` routes let anyone
 * in; `user` routes need a valid access token; `operator` routes also need an operator role. A route
 * that forgot to declare its access is refused outright (and a test catches it).
 */
export function registerAuth(app: FastifyInstance, services: ApiServices): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    const access = config.access;
    if (access === 'public') return;
    if (access === undefined) {
      if (request.routeOptions.url === undefined || !request.url.startsWith('/v1')) return;
      throw new ChatPayError('forbidden');
    }
    const token = bearerToken(request.headers.authorization, config.tokenInQuery ? request.query : undefined);
    if (!token) throw new ChatPayError('unauthenticated');
    if (access === 'merchant') {
      if (!token.startsWith('sk_')) throw new ChatPayError('unauthenticated');
      request.principal = { kind: 'merchant', ...(await services.merchants.authenticate(token)) };
      return;
    }
    if (token.startsWith('sk_')) throw new ChatPayError('forbidden'); // API keys don't act as people
    const claims = await services.tokens.verifyAccess(token);
    request.principal = {
      kind: 'user',
      userId: claims.userId,
      role: claims.role,
      expiresAtMs: claims.expiresAtMs,
    };
    if (access === 'operator' && !(config.roles ?? operatorRoles).includes(claims.role)) {
      throw new ChatPayError('forbidden');
    }
  });
}

function bearerToken(header: string | undefined, query: unknown): string | undefined {
  if (header?.startsWith('Bearer ')) return header.slice(7).trim() || undefined;
  const fromQuery = (query as { access_token?: unknown } | undefined)?.access_token;
  return typeof fromQuery === 'string' && fromQuery.length > 0 ? fromQuery : undefined;
}

/** The signed-in user of a `user` or `operator` route (the auth hook guarantees one). */
export function userIdOf(request: { principal: Principal | null }): string {
  if (request.principal?.kind !== 'user') throw new ChatPayError('unauthenticated');
  return request.principal.userId;
}

/** The merchant of a `merchant` route. */
export function merchantOf(request: { principal: Principal | null }): { merchantId: string; mode: KeyMode } {
  if (request.principal?.kind !== 'merchant') throw new ChatPayError('unauthenticated');
  return request.principal;
}
