import type { FastifyInstance } from 'fastify';
import { ChatPayError } from '../../shared/errors.ts';
import { operatorRoles } from '../../users/index.ts';
import type { ApiServices } from '../context.ts';

/**
 * Checks, before anything else runs, that the caller may use the route: `public` routes let anyone
 * in; `user` routes need a valid access token; `operator` routes also need an operator role. A route
 * that forgot to declare its access is refused outright (and a test catches it).
 */
export function registerAuth(app: FastifyInstance, services: ApiServices): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    if (access === 'public') return;
    if (access === undefined) {
      if (request.routeOptions.url === undefined || !request.url.startsWith('/v1')) return;
      throw new ChatPayError('forbidden');
    }
    const header = request.headers.authorization;
    const fromQuery = request.routeOptions.config.tokenInQuery
      ? (request.query as { access_token?: unknown } | undefined)?.access_token
      : undefined;
    const token = header?.startsWith('Bearer ')
      ? header.slice(7).trim()
      : typeof fromQuery === 'string'
        ? fromQuery
        : undefined;
    if (!token) throw new ChatPayError('unauthenticated');
    const claims = await services.tokens.verifyAccess(token);
    request.principal = { kind: 'user', userId: claims.userId, role: claims.role };
    if (access === 'operator' && !operatorRoles.includes(claims.role)) throw new ChatPayError('forbidden');
  });
}

/** The signed-in user of a `user` route (the auth hook guarantees one). */
export function userIdOf(request: { principal: { userId: string } | null }): string {
  if (!request.principal) throw new ChatPayError('unauthenticated');
  return request.principal.userId;
}
