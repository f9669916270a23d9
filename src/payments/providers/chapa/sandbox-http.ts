/**
 * Small HTTP pieces for the Chapa sandbox (node:http): bounded bodies, Chapa's JSON envelope, the
 * checkout's HTML, and the bearer check.
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../../../shared/http-body.ts';

const bodyBytesMax = 256 * 1024;

/** The request body as text, at most `bodyBytesMax` bytes (else `BodyTooLargeError`). */
export async function readText(req: IncomingMessage): Promise<string> {
  return (await readBody(req, bodyBytesMax)).toString('utf8');
}

export type Fields = Record<string, unknown>;

/** Proof that a handler answered: handlers return it, so every path ends in an answer. */
export type Sent = { readonly sent: true };
const sent: Sent = { sent: true };

/** JSON or form-encoded, as Chapa takes both; undefined when the body cannot be read. */
export function parseFields(contentType: string | undefined, text: string): Fields | undefined {
  if (text.length === 0) return {};
  if ((contentType ?? '').includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Fields)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Chapa's envelope: `{message, status, data}`. */
export function sendChapa(
  res: ServerResponse,
  httpStatus: number,
  message: string | Record<string, string[]>,
  data: unknown = null,
  status: 'success' | 'failed' = httpStatus < 300 ? 'success' : 'failed',
): Sent {
  const body = JSON.stringify({ message, status, data });
  res.writeHead(httpStatus, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
  return sent;
}

export function sendHtml(res: ServerResponse, httpStatus: number, html: string): Sent {
  res.writeHead(httpStatus, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
  });
  res.end(html);
  return sent;
}

export function redirect(res: ServerResponse, location: string): Sent {
  res.writeHead(302, { location, 'content-length': 0 });
  res.end();
  return sent;
}

/** Compares SHA-256 digests so the lengths always match and the time says nothing about the key. */
export function bearerMatches(header: string | undefined, key: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!match?.[1]) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(match[1].trim()), digest(key));
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A Chapa-style reference: letters and digits, as in "APezQ1KKswbb". */
export function chapaReference(prefix: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let text = prefix;
  for (let i = 0; i < 10; i++) text += alphabet[randomInt(alphabet.length)];
  return text;
}
