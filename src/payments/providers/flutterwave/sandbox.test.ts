import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../conformance/receiver.ts';
import type { Sandbox } from '../provider.ts';
import { startFlutterwaveSandbox } from './sandbox.ts';

let sandbox: Sandbox;
let receiver: WebhookReceiver;
const ref = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  sandbox = await startFlutterwaveSandbox({ webhookUrl: `${receiver.url}/hooks`, payerDelayMs: 20 });
});
afterAll(async () => {
  await sandbox?.close();
  await receiver?.close();
});

async function api(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  key = sandbox.env.FLUTTERWAVE_SECRET_KEY,
) {
  const response = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    // biome-ignore lint/suspicious/noExplicitAny: the tests probe whatever shape the sandbox answers.
    json: (await response.json()) as Record<string, unknown> & { data: any },
  };
}

const payment = (txRef: string, amount: number | string = 1234.57) => ({
  tx_ref: txRef,
  amount,
  currency: 'NGN',
  redirect_url: 'http://127.0.0.1/return?from=test',
  customer: { email: 'ada@example.com', name: 'Ada Obi' },
  customizations: { title: 'ChatPay', description: 'Top-up <script>' },
});

describe('API surface', () => {
  it("answers a wrong or missing key with Flutterwave's 401", async () => {
    const wrong = await api('GET', '/v3/banks/NG', undefined, 'FLWSECK_TEST-nope-X');
    expect(wrong).toEqual({
      status: 401,
      json: { status: 'error', message: 'Invalid authorization key', data: null },
    });
    const missing = await fetch(`${sandbox.url}/v3/banks/NG`);
    expect(missing.status).toBe(401);
  });

  it('creates a hosted link and serves an escaped card form at it', async () => {
    const created = await api('POST', '/v3/payments', payment(ref('dep')));
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ status: 'success', message: 'Hosting Link' });
    const link: string = created.json.data.link;
    expect(link).toMatch(new RegExp(`^${sandbox.url}/v3/hosted/pay/[0-9a-f]{20}$`));
    const page = await fetch(link);
    const html = await page.text();
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(html).toContain('name="card_number"');
    expect(html).toContain('NGN 1234.57');
    expect(html).toContain('Top-up &#60;script&#62;');
    expect(html).not.toContain('<script>');
  });

  it('validates payment requests as Flutterwave does', async () => {
    const bad = async (body: unknown) => (await api('POST', '/v3/payments', body)).json;
    expect(await bad({ ...payment(ref('dep')), tx_ref: undefined })).toEqual({
      status: 'error',
      message: 'tx_ref is required',
      data: null,
    });
    expect((await bad(payment(ref('dep'), 12.345))).message).toMatch(/amount/);
    expect((await bad({ ...payment(ref('dep')), currency: 'XYZ' })).message).toBe('Invalid currency');
    expect((await bad({ ...payment(ref('dep')), customer: {} })).message).toMatch(/email/);
  });

  it('keeps numbers as numbers: ids and amounts in verify', async () => {
    const txRef = ref('dep');
    const { json } = await api('POST', '/v3/payments', payment(txRef, '1234.50'));
    await sandbox.control.pay({ type: 'redirect', url: json.data.link }, '5531886652142950');
    const verified = await api('GET', `/v3/transactions/verify_by_reference?tx_ref=${txRef}`);
    expect(verified.json.data).toMatchObject({
      tx_ref: txRef,
      amount: 1234.5,
      currency: 'NGN',
      status: 'successful',
    });
    expect(typeof verified.json.data.id).toBe('number');
    const byId = await api('GET', `/v3/transactions/${verified.json.data.id}/verify`);
    expect(byId.json.data.flw_ref).toBe(verified.json.data.flw_ref);
    expect((await api('GET', '/v3/transactions/999/verify')).json.message).toBe(
      'No transaction was found for this id',
    );
  });

  it('redirects the payer with the outcome, and back with status=cancelled on cancel', async () => {
    const { json } = await api('POST', '/v3/payments', payment(ref('dep')));
    const cancelled = await fetch(`${json.data.link}/cancel`, { redirect: 'manual' });
    expect(cancelled.status).toBe(302);
    expect(cancelled.headers.get('location')).toMatch(
      /^http:\/\/127\.0\.0\.1\/return\?from=test&status=cancelled&tx_ref=/,
    );
    const paid = await fetch(json.data.link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'card_number=5258585922666506&otp=12345',
      redirect: 'manual',
    });
    expect(paid.headers.get('location')).toMatch(/status=failed&tx_ref=[^&]+&transaction_id=[0-9]+$/);
  });
});

describe('webhooks it sends', () => {
  it('signs each with verif-hash and a base64 HMAC of the exact body', async () => {
    const { json } = await api('POST', '/v3/payments', payment(ref('dep')));
    const before = sandbox.control.sent.length;
    await sandbox.control.pay({ type: 'redirect', url: json.data.link }, '5143010522339965');
    const sent = sandbox.control.sent[before];
    if (!sent) throw new Error('no webhook sent');
    const hash = sandbox.env.FLUTTERWAVE_WEBHOOK_HASH ?? '';
    expect(sent.headers['verif-hash']).toBe(hash);
    expect(sent.headers['flutterwave-signature']).toBe(
      createHmac('sha256', hash).update(sent.body).digest('base64'),
    );
    const body = JSON.parse(sent.body);
    expect(body).toMatchObject({
      event: 'charge.completed',
      data: { status: 'failed', processor_response: 'Do Not Honour' },
    });
    expect(typeof body.data.amount).toBe('number');
  });

  it('holds callbacks out of order until flush, then sends the newest first', async () => {
    sandbox.control.setCallbackMode({ type: 'out_of_order' });
    try {
      const before = sandbox.control.sent.length;
      const links: string[] = [];
      for (let i = 0; i < 2; i++)
        links.push((await api('POST', '/v3/payments', payment(ref('dep')))).json.data.link);
      for (const link of links)
        await sandbox.control.pay({ type: 'redirect', url: link }, '5531886652142950');
      expect(sandbox.control.sent.length).toBe(before);
      await sandbox.control.flush();
      const [first, second] = sandbox.control.sent
        .slice(before)
        .map((s) => JSON.parse(s.body).data.id as number);
      expect(first).toBeGreaterThan(second ?? Number.POSITIVE_INFINITY);
    } finally {
      sandbox.control.setCallbackMode({ type: 'normal' });
    }
  });

  it('sends nothing when callbacks go missing, and resends one exactly', async () => {
    sandbox.control.setCallbackMode({ type: 'missing' });
    const before = sandbox.control.sent.length;
    try {
      const { json } = await api('POST', '/v3/payments', payment(ref('dep')));
      await sandbox.control.pay({ type: 'redirect', url: json.data.link }, '5531886652142950');
      expect(sandbox.control.sent.length).toBe(before);
    } finally {
      sandbox.control.setCallbackMode({ type: 'normal' });
    }
    const last = sandbox.control.sent.at(-1);
    if (!last) throw new Error('nothing sent yet');
    const received = receiver.received.length;
    await sandbox.control.resend(last);
    expect(receiver.received.at(-1)?.rawBody.toString('utf8')).toBe(last.body);
    expect(receiver.received.length).toBe(received + 1);
  });
});

describe('transfers', () => {
  const transfer = (reference: string, accountNumber: string, bank = '044') => ({
    account_bank: bank,
    account_number: accountNumber,
    amount: 5000,
    currency: 'NGN',
    narration: 'Withdrawal',
    reference,
    debit_currency: 'NGN',
  });

  it('queues as NEW, refuses the same reference again, and settles by webhook', async () => {
    const reference = ref('wd');
    const created = await api('POST', '/v3/transfers', transfer(reference, '0690000031'));
    expect(created.json).toMatchObject({ status: 'success', message: 'Transfer Queued Successfully' });
    expect(created.json.data).toMatchObject({ status: 'NEW', reference, amount: 5000, bank_code: '044' });
    const again = await api('POST', '/v3/transfers', transfer(reference, '0690000031'));
    expect(again).toEqual({
      status: 400,
      json: { status: 'error', message: 'Payout with this ref already exists', data: null },
    });
    const webhook = await receiver.waitFor((w) => w.rawBody.toString('utf8').includes(reference), 5_000);
    expect(JSON.parse(webhook.rawBody.toString('utf8'))).toMatchObject({
      event: 'transfer.completed',
      'event.type': 'Transfer',
      data: { reference, status: 'SUCCESSFUL', complete_message: 'Successful' },
    });
    expect((await api('GET', `/v3/transfers/${created.json.data.id}`)).json.data.status).toBe('SUCCESSFUL');
  });

  it("honours Flutterwave's mock suffixes over the destination", async () => {
    const ok = ref('wd');
    const failed = `${ref('wd')}_PMCK_ST_FDU_1`;
    await api('POST', '/v3/transfers', transfer(`${ok}_PMCK`, '1111111111', '058'));
    await api('POST', '/v3/transfers', transfer(failed, '0690000031'));
    const status = async (reference: string) => {
      await receiver.waitFor((w) => w.rawBody.toString('utf8').includes(reference), 5_000);
      return (await api('GET', `/v3/transfers?reference=${reference}`)).json.data[0].status;
    };
    expect(await status(`${ok}_PMCK`)).toBe('SUCCESSFUL');
    expect(await status(failed)).toBe('FAILED');
  });

  it('lists banks and resolves the documented test accounts', async () => {
    const banks = await api('GET', '/v3/banks/NG');
    expect(banks.json.data).toContainEqual({ id: 191, code: '044', name: 'Access Bank' });
    expect((await api('GET', '/v3/banks/ZZ')).status).toBe(400);
    const resolved = await api('POST', '/v3/accounts/resolve', {
      account_number: '0690000031',
      account_bank: '044',
    });
    expect(resolved.json.data).toEqual({ account_number: '0690000031', account_name: 'FORREST GREEN' });
    const unknown = await api('POST', '/v3/accounts/resolve', {
      account_number: '0000000000',
      account_bank: '044',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json.status).toBe('error');
  });
});

describe('failure injection and shutdown', () => {
  it('answers the next request with a 5xx in Flutterwave shape, then recovers', async () => {
    sandbox.control.failNext('server_error');
    const failed = await api('GET', '/v3/banks/NG');
    expect(failed.status).toBe(500);
    expect(failed.json).toMatchObject({ status: 'error', data: null });
    expect((await api('GET', '/v3/banks/NG')).status).toBe(200);
  });

  it('hangs the next request, and closes promptly with it, transfers and late callbacks pending', async () => {
    const own = await startFlutterwaveSandbox({ webhookUrl: `${receiver.url}/hooks`, payerDelayMs: 60_000 });
    own.control.setCallbackMode({ type: 'late', delayMs: 60_000 });
    const headers = {
      authorization: `Bearer ${own.env.FLUTTERWAVE_SECRET_KEY}`,
      'content-type': 'application/json',
    };
    await fetch(`${own.url}/v3/transfers`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        account_bank: '044',
        account_number: '0690000031',
        amount: 10,
        currency: 'NGN',
      }),
    });
    own.control.failNext('timeout');
    const hung = fetch(`${own.url}/v3/banks/NG`, { headers, signal: AbortSignal.timeout(300) }).catch(
      (e: unknown) => e,
    );
    expect(await hung).toBeInstanceOf(Error);
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
