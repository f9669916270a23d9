/**
 * A local Daraja: OAuth, STK push and query, B2C v3 and the Transaction Status query, on the real
 * paths with the real checks (Basic and Bearer auth, the STK Password and a fresh Timestamp, the
 * RSA-encrypted SecurityCredential) and the real error shapes (`sandbox-daraja.ts`). Simulated
 * handsets answer after `payerDelayMs`, deciding by test MSISDN (table in `sandbox-outcomes.ts`);
 * results go to the per-request callback URLs through `CallbackSender`. Transactions live in memory.
 *
 * One extension to the protocol: a Transaction Status acknowledgement also carries the `Result` it
 * sends to ResultURL, so a payout's status can be read synchronously (see `wire.ts`).
 */
import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../../../shared/http-body.ts';
import type { Sandbox, SandboxOptions } from '../provider.ts';
import { CallbackSender, FailureInjector, hangMs } from '../sandbox-kit.ts';
import {
  badRequest,
  DarajaError,
  DarajaSimulator,
  sandboxB2cShortcode,
  sandboxInitiatorName,
  sandboxShortcode,
} from './sandbox-daraja.ts';
import { isRecord } from './transformers.ts';

/** What tests may reach beyond `SandboxControl`. */
export interface MpesaSandbox extends Sandbox {
  /** Invalidates every issued access token (as if they had expired). */
  revokeTokens(): void;
  /** The key the SecurityCredential is encrypted with (Safaricom publishes its certificate likewise). */
  readonly publicKeyPem: string;
}

const bodyBytesMax = 64 * 1024;

export async function startMpesaSandbox(options: SandboxOptions = {}): Promise<MpesaSandbox> {
  const failures = new FailureInjector();
  const sender = new CallbackSender();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const later = (delayMs: number, task: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!closed) task();
    }, delayMs);
    timers.add(timer);
  };
  const daraja = new DarajaSimulator({
    payerDelayMs: options.payerDelayMs ?? 200,
    later,
    post: (url, body) =>
      sender.send({ url, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const routes = daraja.routes();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const raw = (await readBody(req, bodyBytesMax, () => badRequest('Request'))).toString('utf8');
    if (req.method === 'GET' && url.pathname === '/oauth/v1/generate') {
      return reply(
        res,
        200,
        daraja.issueToken(req.headers.authorization, url.searchParams.get('grant_type')),
      );
    }
    const route = req.method === 'POST' ? routes[url.pathname] : undefined;
    if (!route) throw new DarajaError(404, '404.001.01', 'Resource not found');
    const failure = failures.take();
    if (failure === 'timeout') {
      later(hangMs, () => replyError(res, new DarajaError(503, '503.001.01', 'Service Unavailable')));
      return;
    }
    if (failure === 'server_error') throw new DarajaError(500, '500.003.1001', 'Internal Server Error');
    daraja.checkBearer(req.headers.authorization);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw badRequest('JSON');
    }
    if (!isRecord(body)) throw badRequest('JSON');
    reply(res, 200, route(body));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof DarajaError) return replyError(res, error);
      options.logger?.error({ err: error }, 'mpesa sandbox: handler failed');
      replyError(res, new DarajaError(500, '500.003.1001', 'Internal Server Error'));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    publicKeyPem: daraja.publicKeyPem,
    env: {
      MPESA_CONSUMER_KEY: daraja.consumerKey,
      MPESA_CONSUMER_SECRET: daraja.consumerSecret,
      MPESA_SHORTCODE: sandboxShortcode,
      MPESA_PASSKEY: daraja.passkey,
      MPESA_TRANSACTION_TYPE: 'CustomerPayBillOnline',
      MPESA_B2C_SHORTCODE: sandboxB2cShortcode,
      MPESA_INITIATOR_NAME: sandboxInitiatorName,
      MPESA_SECURITY_CREDENTIAL: daraja.securityCredential,
      MPESA_CALLBACK_TOKEN: randomBytes(32).toString('base64url'),
      MPESA_ENVIRONMENT: 'sandbox',
      MPESA_API_BASE: url,
    },
    control: {
      // Daraja takes its callback URLs with each request: there is no dashboard URL to follow.
      setWebhookUrl: () => undefined,
      failNext: (kind, count) => failures.failNext(kind, count),
      setCallbackMode: (mode) => sender.setMode(mode),
      flush: () => sender.flush(),
      // The handset decides from the phone number: there is nothing for the payer to submit here.
      pay: async () => undefined,
      get sent() {
        return sender.sent;
      },
      resend: (callback) => sender.resend(callback),
    },
    revokeTokens: () => daraja.revokeTokens(),
    close: async () => {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await sender.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function replyError(res: ServerResponse, error: DarajaError): void {
  const requestId = `${randomInt(1000, 99_999)}-${randomInt(1_000_000, 99_999_999)}-1`;
  reply(res, error.status, { requestId, errorCode: error.errorCode, errorMessage: error.message });
}
