/**
 * A bare HTTP server standing in for our webhook endpoint in adapter-level tests: it records each
 * request as a `WebhookRequest` (raw bytes, lower-cased headers, the path token) and answers 200.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../../../shared/http-body.ts';
import type { WebhookRequest } from '../provider.ts';

export interface ReceivedWebhook extends WebhookRequest {
  readonly path: string;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: readonly ReceivedWebhook[];
  /** Resolves with the first webhook from index `from` on that matches; rejects after `timeoutMs`. */
  waitFor(match: (w: ReceivedWebhook) => boolean, timeoutMs: number, from?: number): Promise<ReceivedWebhook>;
  close(): Promise<void>;
}

const bodyBytesMax = 1024 * 1024;

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    void readBody(req, bodyBytesMax).then(
      (rawBody) => {
        const path = (req.url ?? '/').split('?')[0] ?? '/';
        // /v1/webhooks/<provider>/<token>: the token is the path's fourth segment.
        const token = path.split('/')[4];
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers)) {
          if (typeof value === 'string') headers[name] = value;
          else if (Array.isArray(value)) headers[name] = value.join(', ');
        }
        received.push({ path, headers, rawBody, ...(token ? { token } : {}) });
        for (const wake of waiters) wake();
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
      },
      () => res.writeHead(413).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    waitFor(match, timeoutMs, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = received.slice(from).find(match);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching webhook within ${timeoutMs} ms (${received.length} received)`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
