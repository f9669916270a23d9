import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ChatPayError } from '../../shared/errors.ts';
import { setPin, type User } from '../../users/index.ts';
import type { ApiServices } from '../context.ts';
import { userIdOf } from '../plugins/auth.ts';
import { errors, Timestamp, UserId } from '../schemas.ts';

export const UserSchema = Type.Object(
  {
    id: UserId,
    object: Type.Literal('user'),
    email: Type.Union([Type.String(), Type.Null()]),
    phone: Type.Union([Type.String({ description: 'E.164' }), Type.Null()]),
    phone_verified: Type.Boolean({
      description:
        'The number was proven theirs by a chat channel (a Telegram contact shared as one’s own). An unproven number receives no money sent to it and claims none held for it.',
    }),
    role: Type.String(),
    pin_set: Type.Boolean(),
    created_at: Timestamp,
  },
  { $id: 'User' },
);

export function userView(user: User) {
  return {
    id: user.id,
    object: 'user' as const,
    email: user.email,
    phone: user.phone,
    phone_verified: user.phoneVerified,
    role: user.role,
    pin_set: user.pinSet,
    created_at: user.createdAt.toISOString(),
  };
}

const Password = Type.String({ minLength: 10, maxLength: 128, description: '10–128 characters.' });

export const userRoutes = (services: ApiServices): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    app.post(
      '/v1/users',
      {
        config: { access: 'public' },
        schema: {
          security: [],
          tags: ['users'],
          summary: 'Register with an email or a phone number and a password',
          body: Type.Object(
            {
              email: Type.Optional(Type.String({ maxLength: 254 })),
              phone: Type.Optional(
                Type.String({ maxLength: 32, description: 'With country code; stored as E.164.' }),
              ),
              password: Password,
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('User'), ...errors(400, 409, 429) },
        },
      },
      async (request, reply) => {
        const user = await services.users.register(request.body);
        return reply.code(201).send(userView(user));
      },
    );

    app.get(
      '/v1/me',
      {
        config: { access: 'user' },
        schema: {
          tags: ['users'],
          summary: 'The signed-in user',
          response: { 200: Type.Ref('User'), ...errors(401) },
        },
      },
      async (request) => {
        const user = await services.users.get(userIdOf(request));
        if (!user) throw new ChatPayError('unauthenticated');
        return userView(user);
      },
    );

    app.put(
      '/v1/me/pin',
      {
        config: { access: 'user' },
        schema: {
          tags: ['users'],
          summary: 'Set or change your transaction PIN (4–6 digits)',
          body: Type.Object(
            { pin: Type.String({ maxLength: 6 }), current_pin: Type.Optional(Type.String({ maxLength: 6 })) },
            { additionalProperties: false },
          ),
          response: { 204: Type.Null(), ...errors(400, 401, 403, 423, 429) },
        },
      },
      async (request, reply) => {
        await setPin(services.pool, userIdOf(request), request.body.pin, request.body.current_pin);
        return reply.code(204).send(null);
      },
    );
  };
