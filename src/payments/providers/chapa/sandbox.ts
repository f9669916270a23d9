/**
 * A local Chapa (API v1) for tests and development: the real paths, bearer check and error
 * envelope, a hosted checkout page, transfers settled after `payerDelayMs`, refunds, and webhooks
 * signed like Chapa's to the dashboard-configured URL. Outcomes come from the documented test inputs
 * in `sandbox-data.ts`. Everything is kept in memory.
 */

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BodyTooLargeError } from '../../../shared/http-body.ts';
import type { Logger } from '../../../shared/logger.ts';
import type { NextAction, Sandbox, SandboxControl, SandboxOptions, SentCallback } from '../provider.ts';
import { CallbackSender, FailureInjector, hangMs } from '../sandbox-kit.ts';
import { SandboxApi, type SandboxTransaction } from './sandbox-api.ts';
import { checkoutFields, checkoutPage, resultPage } from './sandbox-checkout.ts';
import { checkoutOutcome } from './sandbox-data.ts';
import { parseFields, readText, redirect, type Sent, sendChapa, sendHtml } from './sandbox-http.ts';
import { chapaSignature } from './webhook.ts';

const defaultPayerDelayMs = 200;

export async function startChapaSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const sandbox = new ChapaSandbox(options);
  await sandbox.listen(options.port ?? 0);
  return sandbox;
}

class ChapaSandbox implements Sandbox {
  url = '';
  readonly env: Record<string, string>;
  readonly control: SandboxControl;
  readonly #secretKey = `CHASECK_TEST-${randomBytes(16).toString('hex')}`;
  readonly #webhookSecret = randomBytes(24).toString('hex');
  readonly #failures = new FailureInjector();
  readonly #sender = new CallbackSender();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #server = createServer((req, res) => void this.#handle(req, res));
  readonly #logger: Logger | undefined;
  /** How long a queued transfer takes to settle. */
  readonly #payerDelayMs: number;
  #webhookUrl: string | undefined;
  #api: SandboxApi | undefined;

  constructor(options: SandboxOptions) {
    this.#webhookUrl = options.webhookUrl;
    this.#logger = options.logger;
    this.#payerDelayMs = options.payerDelayMs ?? defaultPayerDelayMs;
    this.env = {};
    this.control = this.#makeControl();
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(port, '127.0.0.1', resolve));
    const { port: bound } = this.#server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${bound}`;
    Object.assign(this.env, {
      CHAPA_SECRET_KEY: this.#secretKey,
      CHAPA_WEBHOOK_SECRET: this.#webhookSecret,
      CHAPA_API_BASE: this.url,
    });
    this.#api = new SandboxApi({
      baseUrl: this.url,
      secretKey: this.#secretKey,
      settleDelayMs: this.#payerDelayMs,
      schedule: (fn, ms) => this.#schedule(fn, ms),
      notify: (body) => this.#notify(body),
    });
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await this.#sender.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #makeControl(): SandboxControl {
    const sender = this.#sender;
    return {
      setWebhookUrl: (url) => {
        this.#webhookUrl = url;
      },
      failNext: (kind, count) => this.#failures.failNext(kind, count),
      setCallbackMode: (mode) => sender.setMode(mode),
      flush: () => sender.flush(),
      pay: (nextAction, testInput) => this.#pay(nextAction, testInput),
      get sent(): readonly SentCallback[] {
        return sender.sent;
      },
      resend: (callback) => sender.resend(callback),
    };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<Sent | undefined> {
    try {
      const url = new URL(req.url ?? '/', this.url);
      const text = await readText(req);
      const fields = parseFields(req.headers['content-type'], text);
      const checkout = /^\/checkout\/payment\/([A-Za-z0-9]+)$/.exec(url.pathname);
      if (checkout?.[1]) return this.#checkout(req.method ?? 'GET', checkout[1], fields ?? {}, res);
      if (!url.pathname.startsWith('/v1/')) return sendChapa(res, 404, 'Route not found');
      const injected = this.#failures.take();
      if (injected === 'timeout') return this.#hang(res);
      if (injected === 'server_error') return sendChapa(res, 500, 'Internal Server Error');
      if (!this.#api) return sendChapa(res, 503, 'Service Unavailable');
      if (!this.#api.authorized(req.headers.authorization)) {
        return sendChapa(res, 401, "Invalid API Key or User doesn't exist");
      }
      if (fields === undefined) return sendChapa(res, 400, 'Invalid JSON payload');
      return this.#api.route(req.method ?? 'GET', url.pathname, fields, res);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return sendChapa(res, 413, 'Payload Too Large');
      this.#logger?.error({ err: error }, 'chapa sandbox failed');
      return res.headersSent ? undefined : sendChapa(res, 500, 'Internal Server Error');
    }
  }

  /** A provider that never answers: held past any sane client timeout, released by `close()`. */
  #hang(res: ServerResponse): undefined {
    this.#schedule(() => {
      if (!res.writableEnded) sendChapa(res, 504, 'Gateway Timeout');
    }, hangMs);
    return undefined;
  }

  #checkout(method: string, token: string, fields: Record<string, unknown>, res: ServerResponse): Sent {
    const tx = this.#api?.byToken(token);
    if (!tx) return sendHtml(res, 404, resultPage('Payment not found', 'This checkout link is not valid.'));
    if (method === 'GET') {
      if (tx.status !== 'pending')
        return sendHtml(res, 410, resultPage('Already processed', `This payment is ${tx.status}.`));
      return sendHtml(res, 200, checkoutPage(this.#view(tx)));
    }
    if (method !== 'POST') return sendHtml(res, 405, resultPage('Not allowed', 'Use the form.'));
    if (tx.status !== 'pending')
      return sendHtml(res, 409, resultPage('Already processed', `This payment is ${tx.status}.`));
    if (fields[checkoutFields.action] === 'cancel') {
      this.#api?.settleCharge(tx, 'cancelled', tx.method ?? 'card');
      return this.#finish(res, tx, 'Payment cancelled', 'You cancelled this payment.');
    }
    const input = String(fields[checkoutFields.input] ?? '');
    const outcome = checkoutOutcome(input);
    if (!outcome)
      return sendHtml(
        res,
        422,
        checkoutPage(this.#view(tx), 'That is not a test card or test mobile number.'),
      );
    if (outcome.status === 'pending') {
      // The USSD prompt that nobody answers: no webhook, verify keeps saying pending.
      tx.method = outcome.method;
      return sendHtml(res, 202, resultPage('Waiting for approval', 'Approve the payment on your phone.'));
    }
    this.#api?.settleCharge(tx, outcome.status, outcome.method);
    const done = outcome.status === 'success';
    return this.#finish(
      res,
      tx,
      done ? 'Payment successful' : 'Payment failed',
      done ? 'Thank you.' : 'Your payment was declined.',
    );
  }

  /** Back to the merchant's return_url as Chapa does, or a plain result page without one. */
  #finish(res: ServerResponse, tx: SandboxTransaction, title: string, text: string): Sent {
    if (tx.returnUrl) {
      const back = new URL(tx.returnUrl);
      back.searchParams.set('trx_ref', tx.txRef);
      back.searchParams.set('ref_id', tx.reference);
      back.searchParams.set('status', tx.status);
      return redirect(res, back.toString());
    }
    return sendHtml(res, 200, resultPage(title, text));
  }

  #view(tx: SandboxTransaction) {
    return {
      action: `${this.url}/checkout/payment/${tx.token}`,
      title: tx.title,
      description: tx.description,
      amountMinor: tx.amountMinor,
      currency: tx.currency,
      txRef: tx.txRef,
      email: tx.email,
    };
  }

  /** Does what a payer does in a browser: opens the checkout page and submits its form. */
  async #pay(nextAction: NextAction, testInput: string): Promise<void> {
    if (nextAction.type !== 'redirect')
      throw new Error('Chapa payments complete on the hosted checkout (redirect)');
    const page = await fetch(nextAction.url, { signal: AbortSignal.timeout(10_000) });
    const html = await page.text();
    if (!page.ok) throw new Error(`checkout page answered HTTP ${page.status}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]?.replace(/&#38;/g, '&') ?? nextAction.url;
    const form: Record<string, string> =
      testInput === 'cancel'
        ? { [checkoutFields.action]: 'cancel' }
        : { [checkoutFields.action]: 'pay', [checkoutFields.input]: testInput };
    const submitted = await fetch(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    await submitted.text();
    if (submitted.status >= 400)
      throw new Error(`checkout refused the test input (HTTP ${submitted.status})`);
    // The webhook this payment caused is delivered before `pay` returns, so a test reading the
    // receiver next sees it and not an earlier one.
    await this.#sender.settle();
  }

  /** Sends a dashboard webhook, signed in both headers as Chapa does. */
  #notify(body: Record<string, unknown>): void {
    const url = this.#webhookUrl;
    if (!url) return;
    const raw = JSON.stringify(body);
    const signature = chapaSignature(this.#webhookSecret, raw);
    this.#sender.send({
      url,
      headers: {
        'content-type': 'application/json',
        'x-chapa-signature': signature,
        'chapa-signature': signature,
      },
      body: raw,
    });
  }

  #schedule(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }
}
