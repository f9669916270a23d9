import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll } from 'vitest';

/**
 * A merchant's webhook receiver on this machine: records what arrives and answers `state.status`
 * (changeable: a failing endpoint). Closed after the file's tests.
 */
export async function webhookReceiver() {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const state = { status: 200 };
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(state.status).end(state.status === 200 ? 'ok' : 'not today');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  return { port, url: `http://127.0.0.1:${port}/hooks`, received, state };
}

/** `POST /v1/webhook_endpoints` as the merchant whose key is in `headers`. */
export function createWebhookEndpoint(
  app: FastifyInstance,
  headers: Record<string, string>,
  payload: { url: string; events?: readonly string[] },
) {
  return app.inject({ method: 'POST', url: '/v1/webhook_endpoints', headers, payload });
}
