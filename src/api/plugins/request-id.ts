import type { FastifyInstance } from 'fastify';
import { newId } from '../../shared/ids.ts';

const clientRequestId = /^[A-Za-z0-9_.-]{8,64}$/;

/** A caller's well-formed `Request-Id` is kept (to trace a call across systems); otherwise we make one. */
export function genRequestId(request: { headers: Record<string, string | string[] | undefined> }): string {
  const given = request.headers['request-id'];
  return typeof given === 'string' && clientRequestId.test(given) ? given : newId('req');
}

export function registerRequestId(app: FastifyInstance): void {
  // A callback hook, not an async one: this runs on every request, and has nothing to wait for.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('Request-Id', request.id);
    done();
  });
}
