import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { KeyMode } from '../../merchants/index.ts';
import { ChatPayError } from '../../shared/errors.ts';
import { sameSecret } from '../../shared/hash.ts';
import { operatorRoles } from '../../users/index.ts';
import { type ApiServices, type Principal, routeOf } from '../context.ts';

/**
 * Checks, before anything else runs, that the caller may use the route: `public` routes let anyone
 * in; `user` routes need a valid access token; `operator` routes also need an operator role. A route
 * that forgot to declare its access is refused outright (and a test catches it).
 */
export function registerAuth(app: FastifyInstance, services: ApiServices): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('consoleSession', null);
  app.addHook('onRequest', async (request) => {
    const route = routeOf(request);
    const config = route.config;
    const access = config.access;
    if (access === 'public') return;
    if (access === undefined) {
      if (route.url === undefined || !request.url.startsWith('/v1')) return;
      throw new ChatPayError('forbidden');
    }
    const token = bearerToken(request.headers.authorization, config.tokenInQuery ? request.query : undefined);
    // Operator routes also take the console's session cookie; either way the role check below applies.
    const session = !token && access === 'operator' ? await consoleSession(request, services) : undefined;
    if (!token && !session) throw new ChatPayError('unauthenticated');
    if (token && access === 'merchant') {
      if (!token.startsWith('sk_')) throw new ChatPayError('unauthenticated');
      request.principal = { kind: 'merchant', ...(await services.merchants.authenticate(token)) };
      return;
    }
    if (token?.startsWith('sk_')) throw new ChatPayError('forbidden'); // API keys don't act as people
    let principal = session ?? (await userPrincipal(services, token as string));
    if (!session && access === 'operator') {
      // A token carries the role it was issued with; operator routes go by the role the operator has
      // now, so a demotion applies at the next call rather than when the token expires.
      const current = await services.users.get(principal.userId);
      if (!current) throw new ChatPayError('unauthenticated');
      principal = { ...principal, role: current.role };
    }
    request.principal = principal;
    if (access === 'operator' && !(config.roles ?? operatorRoles).includes(principal.role)) {
      throw new ChatPayError('forbidden');
    }
  });
}

async function userPrincipal(services: ApiServices, token: string): Promise<Principal & { kind: 'user' }> {
  const claims = await services.tokens.verifyAccess(token);
  return { kind: 'user', userId: claims.userId, role: claims.role, expiresAtMs: claims.expiresAtMs };
}

/** The console's session cookie, and on anything but a read, the session's CSRF token too. */
export const consoleCookie = 'chatpay_console';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

async function consoleSession(
  request: FastifyRequest,
  services: ApiServices,
): Promise<(Principal & { kind: 'user' }) | undefined> {
  const header = request.headers.cookie;
  const value = header ? request.server.parseCookie(header)[consoleCookie] : undefined;
  if (!value) return undefined;
  const session = await services.consoleSessions.authenticate(value);
  if (!session) return undefined;
  request.consoleSession = { token: value, session };
  if (!safeMethods.has(request.method)) {
    const sent = request.headers['x-csrf-token'];
    if (typeof sent !== 'string' || !sameSecret(sent, session.csrfToken)) {
      throw new ChatPayError('csrf_token_invalid');
    }
  }
  return {
    kind: 'user',
    userId: session.userId,
    role: session.role,
    expiresAtMs: session.expiresAt.getTime(),
  };
}

/** The token of `Authorization: Bearer …`, or of `?access_token=` where a route allows it (`query`). */
export function bearerToken(header: string | undefined, query?: unknown): string | undefined {
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
