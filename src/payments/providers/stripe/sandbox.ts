/**
 * A local Stripe: the `/v1` API (form-encoded requests, Bearer secret key, JSON answers, Stripe's
 * error shapes and idempotency layer), a hosted Checkout page, and signed webhook events sent to the
 * dashboard-configured URL. Official clients work against it: stripe-node with
 * `{host: '127.0.0.1', port, protocol: 'http'}`.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../../../shared/http-body.ts';
import type { Logger } from '../../../shared/logger.ts';
import type {
  CallbackMode,
  NextAction,
  Sandbox,
  SandboxControl,
  SandboxOptions,
  SentCallback,
} from '../provider.ts';
import { CallbackSender, FailureInjector, hangMs } from '../sandbox-kit.ts';
import { decodeForm, FormError, type FormObject } from './form.ts';
import { routeApi } from './sandbox-api.ts';
import { checkoutPage, checkoutPathPattern, type PageAnswer, submitCheckout } from './sandbox-checkout.ts';
import { IdempotencyStore } from './sandbox-idempotency.ts';
import { type ApiAnswer, ApiError, newId } from './sandbox-params.ts';
import { SandboxState } from './sandbox-state.ts';
import { signatureHeader } from './signature.ts';
import { type StripeEvent, stripeApiVersion } from './wire.ts';

const bodyBytesMax = 1024 * 1024;

/** The sandbox, with Stripe-specific controls beside the shared ones. */
export interface StripeSandbox extends Sandbox {
  /**
   * The next `count` API POSTs run (their effects happen) but answer 500 with `Stripe-Should-Retry:
   * false`: the answer is stored under the idempotency key and replayed, as Stripe does once a request
   * began executing.
   */
  crashAfterExecution(count?: number): void;
  /** Every event the sandbox created (delivered or not), oldest first. */
  readonly events: readonly StripeEvent[];
  /** Resolves once every event created so far has been delivered (or held, dropped, delayed by the mode). */
  settle(): Promise<void>;
}

export async function startStripeSandbox(options: SandboxOptions = {}): Promise<StripeSandbox> {
  const sandbox = new StripeSandboxServer(options);
  await sandbox.listen(options.port ?? 0);
  return sandbox.handle();
}

class StripeSandboxServer {
  readonly secretKey = newId('sk_test_51', 40);
  readonly webhookSecret = newId('whsec_', 32);
  readonly #keyDigest = digest(this.secretKey);
  readonly #failures = new FailureInjector();
  readonly #sender = new CallbackSender();
  readonly #idempotency = new IdempotencyStore();
  readonly #state: SandboxState;
  readonly #events: StripeEvent[] = [];
  readonly #hangs = new Set<NodeJS.Timeout>();
  readonly #server = createServer((req, res) => void this.#handle(req, res));
  readonly #logger: Logger | undefined;
  #webhookUrl: string | undefined;
  #crashes = 0;
  #delivery: Promise<void> = Promise.resolve();
  #url = '';

  constructor(options: SandboxOptions) {
    this.#webhookUrl = options.webhookUrl;
    this.#logger = options.logger;
    this.#state = new SandboxState((event) => this.#queueEvent(event));
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  handle(): StripeSandbox {
    const control: SandboxControl = {
      setWebhookUrl: (url) => {
        this.#webhookUrl = url;
      },
      failNext: (kind, count) => this.#failures.failNext(kind, count),
      setCallbackMode: (mode: CallbackMode) => this.#sender.setMode(mode),
      flush: () => this.#sender.flush(),
      pay: (nextAction, testInput) => this.#pay(nextAction, testInput),
      sent: this.#sender.sent,
      resend: (callback: SentCallback) => this.#sender.resend(callback),
    };
    return {
      url: this.#url,
      env: {
        STRIPE_SECRET_KEY: this.secretKey,
        STRIPE_WEBHOOK_SECRET: this.webhookSecret,
        STRIPE_API_BASE: this.#url,
      },
      control,
      events: this.#events,
      settle: () => this.#delivery,
      crashAfterExecution: (count = 1) => {
        this.#crashes += count;
      },
      close: () => this.#close(),
    };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', this.#url);
      const body = (
        await readBody(
          req,
          bodyBytesMax,
          () => new ApiError(413, { type: 'invalid_request_error', message: 'Request body too large.' }),
        )
      ).toString('utf8');
      const checkout = checkoutPathPattern.exec(url.pathname);
      if (checkout?.[1] && (req.method === 'GET' || req.method === 'POST')) {
        const id = checkout[1];
        sendPage(
          res,
          req.method === 'GET' ? checkoutPage(this.#state, id) : submitCheckout(this.#state, id, body),
        );
        return;
      }
      if (!url.pathname.startsWith('/v1/')) {
        sendPage(res, { status: 404, html: '<!doctype html><title>Not found</title><p>Not found.</p>' });
        return;
      }
      await this.#api(req, res, url, body);
    } catch (error) {
      if (error instanceof ApiError) {
        if (!res.headersSent && !res.destroyed) sendJson(res, answerOf(error));
        return;
      }
      this.#logger?.error({ err: error }, 'stripe sandbox failed on a request');
      if (!res.headersSent)
        sendJson(res, { status: 500, body: { error: { type: 'api_error', message: 'Sandbox failure.' } } });
    }
  }

  async #api(req: IncomingMessage, res: ServerResponse, url: URL, body: string): Promise<void> {
    const failure = this.#failures.take();
    if (failure === 'timeout') {
      // The request hangs past any client timeout and is never executed; the connection then drops.
      const timer = setTimeout(() => {
        this.#hangs.delete(timer);
        req.socket.destroy();
      }, hangMs);
      this.#hangs.add(timer);
      return;
    }
    if (failure === 'server_error') {
      // Refused before execution (nothing stored under the key), so a retry is safe: Stripe says so.
      sendJson(res, { status: 500, body: apiErrorBody(), headers: { 'stripe-should-retry': 'true' } });
      return;
    }
    const method = req.method ?? 'GET';
    const authError = this.#authError(req.headers.authorization);
    if (authError) {
      sendJson(res, answerOf(authError));
      return;
    }
    let params: FormObject;
    try {
      params = decodeForm(method === 'GET' ? url.search.slice(1) : formBody(req, body));
    } catch (error) {
      if (!(error instanceof FormError)) throw error;
      sendJson(
        res,
        answerOf(
          new ApiError(400, { type: 'invalid_request_error', message: `Invalid request: ${error.message}` }),
        ),
      );
      return;
    }
    const requestId = newId('req_', 14);
    const key = method === 'POST' ? headerOf(req, 'idempotency-key') : undefined;
    const execute = (): ApiAnswer => {
      const answer = answerOf(() =>
        routeApi(
          { state: this.#state, baseUrl: this.#url, request: { id: requestId, idempotencyKey: key ?? null } },
          method,
          url.pathname,
          params,
        ),
      );
      const began = (answer.status >= 200 && answer.status < 300) || answer.status === 402;
      if (method !== 'POST' || this.#crashes === 0 || !began) return answer;
      this.#crashes--;
      return { status: 500, body: apiErrorBody(), headers: { 'stripe-should-retry': 'false' } };
    };
    const answer =
      key === undefined
        ? execute()
        : answerOf(() => this.#idempotency.run(key, `${method} ${url.pathname}`, params, execute));
    const version = headerOf(req, 'stripe-version') ?? stripeApiVersion;
    sendJson(res, answer, {
      'request-id': requestId,
      'stripe-version': version,
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    });
  }

  /** Bearer (or Basic `key:`) auth; the key is compared as a digest, in constant time. */
  #authError(header: string | undefined): ApiError | undefined {
    let key: string | undefined;
    if (header?.startsWith('Bearer ')) key = header.slice('Bearer '.length).trim();
    else if (header?.startsWith('Basic ')) {
      key = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8').split(':')[0];
    }
    if (!key) {
      return new ApiError(401, {
        type: 'invalid_request_error',
        message:
          "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
      });
    }
    if (timingSafeEqual(digest(key), this.#keyDigest)) return undefined;
    const masked =
      key.length > 12
        ? `${key.slice(0, 8)}${'*'.repeat(Math.min(key.length - 12, 40))}${key.slice(-4)}`
        : '****';
    return new ApiError(401, {
      type: 'invalid_request_error',
      message: `Invalid API Key provided: ${masked}`,
    });
  }

  /** Events leave one at a time, each after the previous delivery (and its duplicate) finished. */
  #queueEvent(event: StripeEvent): void {
    this.#events.push(event);
    const url = this.#webhookUrl;
    if (!url) return;
    const body = JSON.stringify(event, null, 2);
    this.#delivery = this.#delivery.then(async () => {
      const timestamp = Math.floor(Date.now() / 1000);
      this.#sender.send({
        url,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'stripe-signature': signatureHeader(this.webhookSecret, body, timestamp),
        },
        body,
      });
      await this.#sender.settle();
    });
  }

  async #pay(nextAction: NextAction, testInput: string): Promise<void> {
    if (nextAction.type !== 'redirect') throw new Error('Stripe collections redirect to Checkout');
    const url = new URL(nextAction.url);
    const id = checkoutPathPattern.exec(url.pathname)?.[1];
    if (url.origin !== this.#url || !id) throw new Error('not a Checkout URL of this sandbox');
    if (testInput === 'expire') {
      // Stands for 24 hours without payment: the merchant-side expire call, over the real API.
      const response = await fetch(`${this.#url}/v1/checkout/sessions/${id}/expire`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.secretKey}` },
      });
      if (response.status !== 200) throw new Error(`expire answered HTTP ${response.status}`);
      await this.#delivery;
      return;
    }
    const page = await fetch(url);
    const html = await page.text();
    if (page.status !== 200 || !html.includes('name="cardNumber"'))
      throw new Error(`Checkout page answered HTTP ${page.status}`);
    const year = String((new Date().getUTCFullYear() + 3) % 100).padStart(2, '0');
    const form = new URLSearchParams({
      email: 'payer@example.com',
      cardNumber: testInput,
      cardExpiry: `12 / ${year}`,
      cardCvc: testInput.startsWith('3') ? '1234' : '123',
      billingName: 'Test Payer',
    });
    const response = await fetch(url, { method: 'POST', body: form, redirect: 'manual' });
    await response.text();
    // 303 paid, 402 declined, 200 waiting for 3D Secure; anything else means the input was not a usable card.
    if (![200, 303, 402].includes(response.status)) {
      throw new Error(`Checkout refused the card (HTTP ${response.status})`);
    }
    // The payer is done once Stripe has delivered what the payment caused: tests then see every event.
    await this.#delivery;
  }

  async #close(): Promise<void> {
    for (const timer of this.#hangs) clearTimeout(timer);
    this.#hangs.clear();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await this.#sender.close();
    await closed;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function apiErrorBody() {
  return {
    error: {
      type: 'api_error',
      message:
        "Sorry, something went wrong. We've already been notified of the problem, but if you need any help, you can reach us at support.stripe.com/contact.",
    },
  };
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Stripe reads form bodies only: a JSON body is as good as no parameters. */
function formBody(req: IncomingMessage, body: string): string {
  const type = headerOf(req, 'content-type') ?? '';
  return type.startsWith('application/x-www-form-urlencoded') ? body : '';
}

function answerOf(source: ApiError | (() => ApiAnswer)): ApiAnswer {
  if (source instanceof ApiError) return { status: source.status, body: source.body };
  try {
    return source();
  } catch (error) {
    if (error instanceof ApiError) return { status: error.status, body: error.body };
    throw error;
  }
}

function sendJson(
  res: ServerResponse,
  answer: ApiAnswer,
  headers: Readonly<Record<string, string>> = {},
): void {
  const body = JSON.stringify(answer.body, null, 2);
  res.writeHead(answer.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
    ...answer.headers,
  });
  res.end(body);
}

function sendPage(res: ServerResponse, answer: PageAnswer): void {
  res.writeHead(answer.status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(answer.html),
    ...(answer.location ? { location: answer.location } : {}),
  });
  res.end(answer.html);
}
