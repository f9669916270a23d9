/**
 * HTTP pieces of the Telegram sandbox (node:http): bounded bodies in the three encodings the Bot API
 * takes (JSON, form-urlencoded, multipart), its `{ok, result}` envelope, and the typed error every
 * method throws so that one place turns it into Telegram's error shape.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../../shared/http-body.ts';

/** Telegram takes 50 MB uploads; the sandbox stores no files, so a smaller cap keeps memory bounded. */
const bodyBytesMax = 4 * 1024 * 1024;

export type Params = Record<string, unknown>;

/** Error parameters Telegram attaches to some failures (429 `retry_after`, chat migration). */
export type ErrorParameters = { retry_after?: number; migrate_to_chat_id?: number };

/**
 * A Bot API failure, thrown by method handlers and answered as
 * `{"ok":false,"error_code":…,"description":…,"parameters"?:…}` with the same HTTP status.
 */
export class BotApiError extends Error {
  readonly errorCode: number;
  readonly description: string;
  readonly parameters: ErrorParameters | undefined;

  constructor(errorCode: number, description: string, parameters?: ErrorParameters) {
    super(`${errorCode}: ${description}`);
    this.errorCode = errorCode;
    this.description = description;
    this.parameters = parameters;
  }
}

/** A 400 with Telegram's "Bad Request: " prefix, the most common failure by far. */
export function badRequest(reason: string): BotApiError {
  return new BotApiError(400, `Bad Request: ${reason}`);
}

export function tooManyRequests(retryAfterSeconds: number): BotApiError {
  return new BotApiError(429, `Too Many Requests: retry after ${retryAfterSeconds}`, {
    retry_after: retryAfterSeconds,
  });
}

/** A Bot API request body, at most `bodyBytesMax` bytes (else `BodyTooLargeError`). */
export function readRequest(req: IncomingMessage): Promise<Buffer> {
  return readBody(req, bodyBytesMax);
}

/**
 * Parameters from the query string and the body, as Telegram merges them. Undefined when the body is
 * not valid in its declared encoding.
 */
export function parseParams(
  contentType: string | undefined,
  body: Buffer,
  query: URLSearchParams,
): Params | undefined {
  const params: Params = Object.fromEntries(query);
  if (body.length === 0) return params;
  const type = (contentType ?? '').toLowerCase();
  if (type.includes('application/x-www-form-urlencoded')) {
    return Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
  }
  if (type.includes('multipart/form-data')) {
    const boundary = /boundary="?([^";]+)"?/i.exec(contentType ?? '')?.[1];
    const fields = boundary ? parseMultipart(body, boundary) : undefined;
    return fields && Object.assign(params, fields);
  }
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    return Object.assign(params, parsed);
  } catch {
    return undefined;
  }
}

/** Text fields of a multipart body; file parts keep only their file name (nothing is stored). */
function parseMultipart(body: Buffer, boundary: string): Params | undefined {
  const text = body.toString('latin1');
  const fields: Params = {};
  for (const part of text.split(`--${boundary}`).slice(1)) {
    if (part.startsWith('--')) break;
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) return undefined;
    const head = part.slice(0, split);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    if (name === undefined) return undefined;
    const raw = part.slice(split + 4).replace(/\r\n$/, '');
    const filename = /filename="?([^";\r\n]*)"?/i.exec(head)?.[1];
    fields[name] = filename === undefined ? Buffer.from(raw, 'latin1').toString('utf8') : { filename };
  }
  return fields;
}

/** Proof that a handler answered: handlers return it, so every path ends in an answer. */
export type Sent = { readonly sent: true };
const sent: Sent = { sent: true };

export function sendJson(
  res: ServerResponse,
  httpStatus: number,
  body: unknown,
  headers: Record<string, string> = {},
): Sent {
  const text = JSON.stringify(body);
  res.writeHead(httpStatus, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
  return sent;
}

/** Telegram's success envelope; `description` appears on a few methods such as setWebhook. */
export function sendResult(res: ServerResponse, result: unknown, description?: string): Sent {
  return sendJson(
    res,
    200,
    description === undefined ? { ok: true, result } : { ok: true, result, description },
  );
}

export function sendError(res: ServerResponse, error: BotApiError): Sent {
  const body: Record<string, unknown> = {
    ok: false,
    error_code: error.errorCode,
    description: error.description,
  };
  if (error.parameters) body.parameters = error.parameters;
  return sendJson(res, error.errorCode, body);
}

export function sendHtml(res: ServerResponse, httpStatus: number, html: string): Sent {
  res.writeHead(httpStatus, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
  });
  res.end(html);
  return sent;
}

/** Compares SHA-256 digests so the lengths always match and the time says nothing about the token. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
