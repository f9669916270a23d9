/**
 * A local Flutterwave v3: the real paths, bearer auth with Flutterwave's 401, the `{status, message,
 * data}` envelope, a hosted checkout page, and webhooks signed as Flutterwave signs them (`verif-hash`
 * plus `flutterwave-signature`). Outcomes come from documented test inputs:
 *
 * Collections (`SandboxControl.pay(nextAction, "<card>[:<otp>]")`, or by hand on the page):
 * - 5531886652142950 (and the other documented success cards) → successful
 * - 5258585922666506 Insufficient Funds → insufficient_funds
 * - 5143010522339965 Do Not Honour, 5590131743294314 Fraudulent, 5551658157653822 Invalid
 *   Transaction, 5258582054729020 / 5258588264565682 Function Not Permitted → declined
 * - 5551651630381384 Restricted Card, Retain Card → account_locked
 * - 5258589130149016 Transaction Error → processing_error
 * - 5399834697894723 Incorrect PIN, or any card with OTP 5548 (Wrong OTP) → wrong_pin
 * - any card with OTP 6648 → insufficient_funds; an empty OTP (`5531886652142950:`) → the charge
 *   stays pending and no webhook is sent (the payer abandoned the OTP step)
 *
 * Transfers (by destination; Flutterwave's `_PMCK` / `_PMCK_ST_F` reference suffixes win):
 * - Access Bank 044 / 0690000031–0690000035, 0690000037–0690000039 → SUCCESSFUL
 * - 044 / 0690000036 → refused at once, "Payout was made to a blacklisted account number"
 * - 044 / 0690000040 → FAILED, "DISBURSE FAILED: Insufficient funds in customer wallet"
 * - 044 / 0690000041 → stays NEW, no webhook
 * - any other account → FAILED, "DISBURSE FAILED: Account resolve failed"
 */

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../../../shared/http-body.ts';
import type { NextAction, Sandbox, SandboxControl, SandboxOptions, SentCallback } from '../provider.ts';
import { CallbackSender, FailureInjector, hangMs } from '../sandbox-kit.ts';
import { checkoutPage, messagePage } from './checkout-page.ts';
import { type ApiAnswer, type CheckoutResult, failure, SandboxState } from './sandbox-state.ts';

const bodyBytesMax = 1024 * 1024;
const defaultSettleMs = 200;

interface Incoming {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

function sendJson(res: ServerResponse, answer: ApiAnswer): void {
  res
    .writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8' })
    .end(JSON.stringify(answer.body));
}

function sendCheckout(res: ServerResponse, result: CheckoutResult): void {
  if (result.kind === 'redirect') {
    res.writeHead(302, { location: result.url }).end();
    return;
  }
  res
    .writeHead(result.status, { 'content-type': 'text/html; charset=utf-8' })
    .end(messagePage(result.title, result.message));
}

function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.length === 0) return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

type Handler = (
  state: SandboxState,
  params: readonly string[],
  request: Incoming,
  body: unknown,
) => ApiAnswer;

/** The API routes, after auth. Paths and answers are Flutterwave's; first match wins. */
const routes: readonly (readonly [method: string, path: RegExp, handler: Handler])[] = [
  ['POST', /^\/v3\/payments$/, (state, _, request, body) => state.createPayment(body, request.url.origin)],
  [
    'GET',
    /^\/v3\/transactions\/verify_by_reference$/,
    (state, _, request) => state.verifyByReference(request.url.searchParams.get('tx_ref')),
  ],
  ['GET', /^\/v3\/transactions\/([^/]+)\/verify$/, (state, [id = '']) => state.verify(id)],
  ['POST', /^\/v3\/transactions\/([^/]+)\/refund$/, (state, [id = ''], _, body) => state.refund(id, body)],
  ['POST', /^\/v3\/transfers$/, (state, _, __, body) => state.createTransfer(body)],
  [
    'GET',
    /^\/v3\/transfers$/,
    (state, _, request) => state.transfers(request.url.searchParams.get('reference')),
  ],
  ['GET', /^\/v3\/transfers\/([^/]+)$/, (state, [id = '']) => state.transfer(id)],
  ['GET', /^\/v3\/banks\/([A-Za-z]{2})$/, (state, [country = '']) => state.banks(country)],
  ['POST', /^\/v3\/accounts\/resolve$/, (state, _, __, body) => state.resolve(body)],
];

function route(state: SandboxState, request: Incoming): ApiAnswer {
  const path = request.url.pathname.replace(/\/+$/, '');
  const json = parseJson(request.body);
  if (!json.ok) return failure(400, 'Invalid JSON payload');
  for (const [method, pattern, handler] of routes) {
    const match = pattern.exec(path);
    if (match && method === request.method) return handler(state, match.slice(1), request, json.value);
  }
  return failure(404, `Cannot ${request.method} ${path}`);
}

/** The hosted checkout: the page, its form submission and its cancel link. No bearer auth. */
function checkout(state: SandboxState, request: Incoming, res: ServerResponse): void {
  const match = /^\/v3\/hosted\/pay\/([0-9a-f]+)(\/cancel)?$/.exec(request.url.pathname);
  const token = match?.[1] ?? '';
  const view = state.checkoutView(token);
  if (match?.[2]) sendCheckout(res, state.cancel(token));
  else if (request.method === 'POST')
    sendCheckout(res, state.payWithCard(token, new URLSearchParams(request.body)));
  else if (!view)
    sendCheckout(res, { kind: 'page', status: 404, title: 'Not found', message: 'No such payment link.' });
  else res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(checkoutPage(view));
}

/** Submits the checkout form exactly as a browser would, with a test input `<card>[:<otp>]`. */
async function submitCheckout(nextAction: NextAction, testInput: string): Promise<void> {
  if (nextAction.type !== 'redirect') throw new Error('a Flutterwave collection is paid on its hosted page');
  const pageResponse = await fetch(nextAction.url);
  const html = await pageResponse.text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (pageResponse.status !== 200 || !action)
    throw new Error(`checkout page unavailable (HTTP ${pageResponse.status})`);
  const [card = '', otp] = testInput.split(':');
  const form = new URLSearchParams({
    card_number: card,
    expiry: '09/32',
    cvv: '564',
    pin: '3310',
    otp: otp ?? '12345',
  });
  const submitted = await fetch(new URL(action, nextAction.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
  await submitted.arrayBuffer();
  if (submitted.status !== 302 && submitted.status !== 200) {
    throw new Error(`checkout refused the payment (HTTP ${submitted.status})`);
  }
}

/** Everything a running sandbox owns: its secrets, state, timers and outgoing callbacks. */
class SandboxRuntime {
  readonly secretKey = `FLWSECK_TEST-${randomBytes(16).toString('hex')}-X`;
  readonly webhookHash = randomBytes(24).toString('base64url');
  readonly sender = new CallbackSender();
  readonly injector = new FailureInjector();
  readonly state: SandboxState;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #options: SandboxOptions;
  webhookUrl: string | undefined;
  baseUrl = '';

  constructor(options: SandboxOptions) {
    this.#options = options;
    this.webhookUrl = options.webhookUrl;
    this.state = new SandboxState({
      settleMs: options.payerDelayMs ?? defaultSettleMs,
      dashboardWebhookUrl: () => this.webhookUrl,
      schedule: (task, ms) => this.#schedule(task, ms),
      webhook: (url, body) => this.#sendWebhook(url, body),
    });
  }

  #schedule(task: () => void, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      task();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  /** Signed as Flutterwave signs: the plain hash, and an HMAC of the exact bytes sent. */
  #sendWebhook(url: string | undefined, body: object): void {
    if (!url) return;
    const raw = JSON.stringify(body);
    const signature = createHmac('sha256', this.webhookHash).update(raw).digest('base64');
    this.sender.send({
      url,
      headers: {
        'content-type': 'application/json',
        'verif-hash': this.webhookHash,
        'flutterwave-signature': signature,
      },
      body: raw,
    });
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request: Incoming = {
      method: req.method ?? 'GET',
      url: new URL(req.url ?? '/', this.baseUrl),
      headers: req.headers,
      body: (await readBody(req, bodyBytesMax)).toString('utf8'),
    };
    this.#options.logger?.debug({
      sandbox: 'flutterwave',
      method: request.method,
      path: request.url.pathname,
    });
    if (request.url.pathname.startsWith('/v3/hosted/pay/')) {
      checkout(this.state, request, res);
      return;
    }
    const injected = this.injector.take();
    if (injected === 'timeout') {
      // Hang past any adapter timeout; a client giving up (or close()) ends it early.
      const timer = this.#schedule(() => sendJson(res, failure(504, 'Gateway timeout')), hangMs);
      res.on('close', () => {
        clearTimeout(timer);
        this.#timers.delete(timer);
      });
    } else if (injected === 'server_error') {
      sendJson(res, failure(500, 'An error occurred while processing your request'));
    } else if (!sameSecret(request.headers.authorization ?? '', `Bearer ${this.secretKey}`)) {
      sendJson(res, failure(401, 'Invalid authorization key'));
    } else {
      sendJson(res, route(this.state, request));
    }
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await this.sender.close();
  }
}

function controlOf(runtime: SandboxRuntime): SandboxControl {
  const sender = runtime.sender;
  return {
    setWebhookUrl: (url: string) => {
      runtime.webhookUrl = url;
    },
    failNext: (kind, count) => runtime.injector.failNext(kind, count),
    setCallbackMode: (mode) => sender.setMode(mode),
    flush: () => sender.flush(),
    pay: async (nextAction, testInput) => {
      await submitCheckout(nextAction, testInput);
      // Flutterwave has announced the charge by the time the payer is redirected: tests that wait
      // for "the latest webhook" must not see it arrive after pay() returned.
      await sender.settle();
    },
    get sent(): readonly SentCallback[] {
      return sender.sent;
    },
    resend: (callback) => sender.resend(callback),
  };
}

export async function startFlutterwaveSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const runtime = new SandboxRuntime(options);
  const server = createServer((req, res) => {
    runtime.handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, failure(400, 'The request could not be read'));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  runtime.baseUrl = `http://127.0.0.1:${port}`;
  return {
    url: runtime.baseUrl,
    env: {
      FLUTTERWAVE_SECRET_KEY: runtime.secretKey,
      FLUTTERWAVE_WEBHOOK_HASH: runtime.webhookHash,
      FLUTTERWAVE_API_BASE: runtime.baseUrl,
    },
    control: controlOf(runtime),
    close: async () => {
      await runtime.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
