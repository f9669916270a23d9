import type { IncomingMessage } from 'node:http';

/** A request body over its limit: nothing past the limit was kept. */
export class BodyTooLargeError extends Error {}

/**
 * Reads a node:http request body, keeping at most `maxBytes` (the local servers — provider and Bot API
 * sandboxes, test receivers — never buffer without bound). Over the limit it rejects with
 * `tooLarge()`, by default a `BodyTooLargeError`, so each server answers in its own protocol's words.
 */
export async function readBody(
  req: IncomingMessage,
  maxBytes: number,
  tooLarge: () => Error = () => new BodyTooLargeError(`body over ${maxBytes} bytes`),
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
