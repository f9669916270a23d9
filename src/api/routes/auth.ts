import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ApiServices } from '../context.ts';
import { errors } from '../schemas.ts';

const TokenPairSchema = Type.Object(
  {
    access_token: Type.String(),
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer({ description: 'Seconds until the access token expires.' }),
    refresh_token: Type.String({ description: 'Single use: each refresh returns a new one.' }),
  },
  { $id: 'TokenPair' },
);

export const TokenPair = TokenPairSchema;

// Token answers hold secrets: they are never stored for idempotent replay.
const noReplay = { access: 'public' as const, idempotent: false };

export const authRoutes = (services: ApiServices): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    app.post(
      '/v1/auth/token',
      {
        config: noReplay,
        schema: {
          security: [],
          tags: ['auth'],
          summary: 'Sign in: a short-lived access token and a rotating refresh token',
          body: Type.Object(
            {
              login: Type.String({ maxLength: 254, description: 'Email or phone.' }),
              password: Type.String({ maxLength: 128 }),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Ref('TokenPair'), ...errors(400, 401, 429) },
        },
      },
      async (request) => {
        const user = await services.users.authenticate(request.body.login, request.body.password);
        return services.tokens.issue(user);
      },
    );

    app.post(
      '/v1/auth/refresh',
      {
        config: noReplay,
        schema: {
          security: [],
          tags: ['auth'],
          summary: 'Exchange a refresh token for a new pair (the old one stops working)',
          body: Type.Object(
            { refresh_token: Type.String({ maxLength: 200 }) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Ref('TokenPair'), ...errors(400, 401, 429) },
        },
      },
      async (request) => services.tokens.refresh(request.body.refresh_token, (id) => services.users.get(id)),
    );

    app.post(
      '/v1/auth/logout',
      {
        config: noReplay,
        schema: {
          security: [],
          tags: ['auth'],
          summary: 'Sign out: the refresh token and every token rotated from it stop working',
          body: Type.Object(
            { refresh_token: Type.String({ maxLength: 200 }) },
            { additionalProperties: false },
          ),
          response: { 204: Type.Null(), ...errors(400, 429) },
        },
      },
      async (request, reply) => {
        await services.tokens.revoke(request.body.refresh_token);
        return reply.code(204).send(null);
      },
    );
  };
