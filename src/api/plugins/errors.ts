import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ChatPayError, type ErrorCode, isChatPayError } from '../../shared/errors.ts';

interface Envelope {
  error: { type: string; code: string; message: string; param?: string; request_id: string };
}

export function envelope(error: ChatPayError, requestId: string): Envelope {
  return {
    error: {
      type: error.type,
      code: error.code,
      message: error.message,
      ...(error.param ? { param: error.param } : {}),
      request_id: requestId,
    },
  };
}

// Fastify's own errors, mapped to our catalogue. Anything else is a bug: logged, never shown.
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'validation_failed',
  FST_ERR_CTP_INVALID_JSON_BODY: 'validation_failed',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
};

function toChatPayError(error: FastifyError): ChatPayError {
  if (isChatPayError(error)) return error;
  if (error.validation) {
    const first = error.validation[0];
    const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
    const path = first?.instancePath?.replace(/^\//, '').replaceAll('/', '.');
    const param = missing ? [path, missing].filter(Boolean).join('.') : path || error.validationContext;
    return new ChatPayError('validation_failed', {
      ...(param ? { param } : {}),
      message: `${param ?? 'request'} ${first?.message ?? 'is invalid'}`,
    });
  }
  const mapped = error.code ? fastifyCodes[error.code] : undefined;
  if (mapped) return new ChatPayError(mapped);
  if (error instanceof SyntaxError && error.statusCode === 400) {
    return new ChatPayError('validation_failed', { message: 'The body is not valid JSON.' });
  }
  if (error.statusCode === 429) return new ChatPayError('rate_limited');
  return new ChatPayError('internal_error', { cause: error });
}

/** One error envelope for every failure; no stack, SQL or internal message reaches a client. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = toChatPayError(error);
    if (mapped.code === 'internal_error') request.log.error({ err: error }, 'unhandled error');
    else if (mapped.status >= 500) request.log.warn({ err: error, code: mapped.code }, 'request failed');
    const headers: Record<string, string | number | string[] | undefined> =
      error.statusCode === 429 ? reply.getHeaders() : {};
    // A refusal that knows when to come back (a throttled sign-in) says so, like the rate limiter.
    const retryAfter = mapped.details?.retryAfterSeconds;
    if (mapped.status === 429 && typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter);
    return reply.code(mapped.status).headers(headers).send(envelope(mapped, request.id));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(envelope(new ChatPayError('route_not_found'), request.id)),
  );
}

/**
 * Errors Fastify answers before any route or hook runs (a malformed URL, a path parameter over the
 * router's length limit): they get the same envelope and Request-Id as everything else.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const mapped =
    error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new ChatPayError('validation_failed', {
          message: 'The URL is malformed or a path segment is too long.',
        })
      : new ChatPayError('internal_error', { cause: error });
  if (mapped.code === 'internal_error') request.log.error({ err: error }, 'framework error');
  reply.code(mapped.status).header('Request-Id', request.id).send(envelope(mapped, request.id));
}
