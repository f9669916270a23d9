import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ChatPayError } from '../../../shared/errors.ts';
import type { ConsoleSession } from '../../../users/index.ts';
import type { ApiServices } from '../../context.ts';
import { consoleCookie } from '../../plugins/auth.ts';
import { errors, Timestamp } from '../../schemas.ts';

const SessionSchema = Type.Object({
  operator: Type.Object({
    id: Type.String(),
    email: Type.String(),
    role: Type.String(),
  }),
  csrf_token: Type.String({ description: 'Send it as X-CSRF-Token on every request that is not a read.' }),
  idle_timeout_seconds: Type.Integer(),
  expires_at: Timestamp,
});

const SignInStepSchema = Type.Object({
  step: Type.Union([Type.Literal('totp'), Type.Literal('enroll')]),
  challenge: Type.String({ description: 'Single use, valid 5 minutes: send it with the code.' }),
  secret: Type.Optional(Type.String({ description: 'Enrolment only: the base32 TOTP secret.' })),
  otpauth_url: Type.Optional(Type.String()),
  qr_svg: Type.Optional(Type.String({ description: 'Enrolment only: the otpauth URL as an SVG QR code.' })),
});

// Sign-in answers hold secrets (challenges, TOTP secrets, session tokens): never stored for replay.
const signInConfig = { access: 'public' as const, idempotent: false };
const sessionConfig = { access: 'operator' as const, idempotent: false };

export interface ConsoleSessionRouteOptions {
  /** Production: the cookie is only sent over HTTPS. */
  readonly secureCookie: boolean;
}

/** Console sign-in (password, then TOTP), the session, and signing out. See docs/console.md. */
export const consoleSessionRoutes = (
  services: ApiServices,
  options: ConsoleSessionRouteOptions,
): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    const view = (session: ConsoleSession) => ({
      operator: { id: session.userId, email: session.email, role: session.role },
      csrf_token: session.csrfToken,
      idle_timeout_seconds: services.consoleSessions.idleSeconds,
      expires_at: session.expiresAt.toISOString(),
    });

    app.post(
      '/v1/console/sign-in',
      {
        config: signInConfig,
        schema: {
          security: [],
          tags: ['console'],
          summary: 'Console sign-in, step one: email and password',
          description: 'Answers with the TOTP step, or with TOTP enrolment at an operator’s first sign-in.',
          body: Type.Object(
            { email: Type.String({ maxLength: 254 }), password: Type.String({ maxLength: 128 }) },
            { additionalProperties: false },
          ),
          response: { 200: SignInStepSchema, ...errors(400, 401, 429) },
        },
      },
      async (request) => {
        const step = await services.consoleSessions.start(
          request.body.email,
          request.body.password,
          request.ip,
        );
        request.audit = { after: { step: step.step } };
        if (step.step === 'totp') return step;
        return {
          step: step.step,
          challenge: step.challenge,
          secret: step.secret,
          otpauth_url: step.otpauthUrl,
          qr_svg: step.qrSvg,
        };
      },
    );

    app.post(
      '/v1/console/sign-in/totp',
      {
        config: signInConfig,
        schema: {
          security: [],
          tags: ['console'],
          summary: 'Console sign-in, step two: the authentication code; sets the session cookie',
          body: Type.Object(
            { challenge: Type.String({ maxLength: 100 }), code: Type.String({ maxLength: 10 }) },
            { additionalProperties: false },
          ),
          response: { 200: SessionSchema, ...errors(400, 401, 429) },
        },
      },
      async (request, reply) => {
        const { token, session } = await services.consoleSessions.complete(
          request.body.challenge,
          request.body.code.trim(),
          { ip: request.ip, userAgent: request.headers['user-agent'] },
        );
        reply.setCookie(consoleCookie, token, {
          httpOnly: true,
          sameSite: 'strict',
          secure: options.secureCookie,
          path: '/',
          maxAge: services.consoleSessions.absoluteSeconds,
        });
        request.audit = { object: session.userId, after: { signed_in: true } };
        return view(session);
      },
    );

    app.get(
      '/v1/console/session',
      {
        config: { access: 'operator' },
        schema: {
          tags: ['console'],
          summary: 'The console session of this cookie',
          response: { 200: SessionSchema, ...errors(401) },
        },
      },
      async (request) => {
        if (!request.consoleSession) throw new ChatPayError('unauthenticated');
        return view(request.consoleSession.session);
      },
    );

    for (const [path, everywhere] of [
      ['/v1/console/sign-out', false],
      ['/v1/console/sign-out-everywhere', true],
    ] as const) {
      app.post(
        path,
        {
          config: sessionConfig,
          schema: {
            tags: ['console'],
            summary: everywhere ? 'End every console session of this operator' : 'End this console session',
            // Nothing to send: an empty object, or no body at all.
            body: Type.Union([Type.Object({}, { additionalProperties: false }), Type.Null()]),
            response: { 204: Type.Null(), ...errors(401, 403) },
          },
        },
        async (request, reply) => {
          const current = request.consoleSession;
          if (!current) throw new ChatPayError('unauthenticated');
          if (everywhere) await services.consoleSessions.endAll(current.session.userId);
          else await services.consoleSessions.end(current.token);
          request.audit = {
            object: current.session.userId,
            after: { signed_out: everywhere ? 'all' : 'this' },
          };
          reply.clearCookie(consoleCookie, { path: '/' });
          return reply.code(204).send(null);
        },
      );
    }
  };
