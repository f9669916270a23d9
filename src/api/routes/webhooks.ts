import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../shared/logger.ts';
import type { ApiServices } from '../context.ts';
import { errors } from '../schemas.ts';

/** Provider webhooks are small; anything bigger is not one. */
const webhookBodyBytesMax = 256 * 1024;

/**
 * Inbound provider webhooks. The raw bytes are kept (signatures cover them, not re-serialised JSON),
 * whatever the content type; the event is verified, stored and queued, and answered at once in the
 * form the provider expects. `/{provider}/{token}` serves protocols whose only proof is a secret in
 * the URL (M-Pesa); the token is never logged.
 */
export const webhookRoutes = (services: ApiServices): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: webhookBodyBytesMax },
      (_request, body, done) => done(null, body),
    );

    const receive = async (
      request: FastifyRequest,
      reply: FastifyReply,
      provider: string,
      token?: string,
    ) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === 'string') headers[name] = value;
      }
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const { reply: answer } = await services.payments.receiveWebhook(
        provider,
        { headers, rawBody, token },
        request.ip,
        request.log as Logger,
      );
      return reply.code(answer.status).type(answer.contentType).send(answer.body);
    };
    const schema = (withToken: boolean) => ({
      tags: ['webhooks'],
      summary: withToken ? 'Provider callback carrying a secret URL token (M-Pesa)' : 'Provider webhook',
      description:
        'Verified (signature, or URL token for unsigned protocols), stored once per provider event id, answered at once; a job applies it. A bad signature gets 401 and changes nothing.',
      body: Type.Unknown({ description: 'The provider’s webhook exactly as it sends it (JSON or form).' }),
      params: withToken
        ? Type.Object({ provider: Type.String({ maxLength: 32 }), token: Type.String({ maxLength: 256 }) })
        : Type.Object({ provider: Type.String({ maxLength: 32 }) }),
      response: { ...errors(400, 401, 404, 413, 429) },
    });

    app.post(
      '/v1/webhooks/:provider',
      { config: { access: 'public', idempotent: false, inbox: true }, schema: schema(false) },
      async (request, reply) => receive(request, reply, (request.params as { provider: string }).provider),
    );
    app.post(
      '/v1/webhooks/:provider/:token',
      { config: { access: 'public', idempotent: false, inbox: true }, schema: schema(true) },
      async (request, reply) => {
        const params = request.params as { provider: string; token: string };
        return receive(request, reply, params.provider, params.token);
      },
    );
  };
