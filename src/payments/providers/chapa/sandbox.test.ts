import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../conformance/receiver.ts';
import type { Sandbox } from '../provider.ts';
import { startChapaSandbox } from './sandbox.ts';
import { chapaTestAccounts, chapaTestInputs } from './sandbox-data.ts';
import { chapaSignature } from './webhook.ts';

const ref = (prefix = 'dep_') => `${prefix}${randomBytes(8).toString('hex')}`;

describe('chapa sandbox', () => {
  let receiver: WebhookReceiver;
  let sandbox: Sandbox;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    sandbox = await startChapaSandbox({ webhookUrl: `${receiver.url}/v1/webhooks/chapa`, payerDelayMs: 20 });
  });
  afterAll(async () => {
    await sandbox?.close();
    await receiver?.close();
  });

  const api = async (method: string, path: string, body?: unknown, key = sandbox.env.CHAPA_SECRET_KEY) => {
    const response = await fetch(`${sandbox.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const initialize = async (txRef = ref(), extra: Record<string, unknown> = {}) => {
    const answer = await api('POST', '/v1/transaction/initialize', {
      amount: '123.47',
      currency: 'ETB',
      email: 'abebe@example.com',
      first_name: 'Abebe',
      tx_ref: txRef,
      ...extra,
    });
    const url = (answer.body.data as { checkout_url: string } | null)?.checkout_url ?? '';
    return { txRef, answer, nextAction: { type: 'redirect' as const, url } };
  };

  it('answers a wrong or missing key with Chapa 401 body', async () => {
    const expected = { message: "Invalid API Key or User doesn't exist", status: 'failed', data: null };
    expect(await api('GET', '/v1/banks', undefined, 'CHASECK_TEST-nope')).toEqual({
      status: 401,
      body: expected,
    });
    const bare = await fetch(`${sandbox.url}/v1/banks`);
    expect(bare.status).toBe(401);
    expect(await bare.json()).toEqual(expected);
  });

  it('answers initialize with a hosted link, and refuses a used tx_ref', async () => {
    const { txRef, answer } = await initialize();
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ message: 'Hosted Link', status: 'success' });
    expect((answer.body.data as { checkout_url: string }).checkout_url).toMatch(
      /\/checkout\/payment\/[0-9a-f]{24}$/,
    );
    const again = await initialize(txRef);
    expect(again.answer).toEqual({
      status: 400,
      body: { message: 'Transaction reference has been used before', status: 'failed', data: null },
    });
  });

  it('validates initialize fields the way Chapa does (field → messages)', async () => {
    const answer = await api('POST', '/v1/transaction/initialize', {
      amount: 'twelve',
      currency: 'KES',
      phone_number: '+251911234567',
    });
    expect(answer.status).toBe(400);
    expect(answer.body.status).toBe('failed');
    expect(Object.keys(answer.body.message as object).sort()).toEqual([
      'amount',
      'currency',
      'phone_number',
      'tx_ref',
    ]);
  });

  it('serves a checkout page with a usable form', async () => {
    const { nextAction } = await initialize();
    const page = await fetch(nextAction.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<form method="post"');
    expect(html).toContain('name="payment_input"');
    expect(html).toContain('123.47 ETB');
    expect((await fetch(`${sandbox.url}/checkout/payment/ffffffffffffffffffffffff`)).status).toBe(404);
  });

  it('signs webhooks in both headers and types verify amounts as numbers', async () => {
    const { txRef, nextAction } = await initialize();
    const before = receiver.received.length;
    await sandbox.control.pay(nextAction, chapaTestInputs.cardSuccess);
    const webhook = await receiver.waitFor((w) => w.rawBody.includes(txRef), 5_000, before);
    const expected = chapaSignature(sandbox.env.CHAPA_WEBHOOK_SECRET ?? '', webhook.rawBody);
    expect(webhook.headers['x-chapa-signature']).toBe(expected);
    expect(webhook.headers['chapa-signature']).toBe(expected);
    const body = JSON.parse(webhook.rawBody.toString()) as Record<string, unknown>;
    expect(body).toMatchObject({
      event: 'charge.success',
      amount: '123.47',
      status: 'success',
      mode: 'test',
      tx_ref: txRef,
    });
    const verify = await api('GET', `/v1/transaction/verify/${txRef}`);
    expect(verify.body).toMatchObject({ message: 'Payment details', status: 'success' });
    expect(verify.body.data).toMatchObject({
      amount: 123.47,
      status: 'success',
      method: 'card',
      tx_ref: txRef,
    });
    expect((await fetch(nextAction.url)).status).toBe(410);
  });

  it('redirects the payer to return_url with the outcome', async () => {
    const { txRef, nextAction } = await initialize(ref(), { return_url: 'https://shop.example/back' });
    const submit = await fetch(nextAction.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'action=cancel',
      redirect: 'manual',
    });
    expect(submit.status).toBe(302);
    const location = new URL(submit.headers.get('location') ?? '');
    expect(location.origin + location.pathname).toBe('https://shop.example/back');
    expect(location.searchParams.get('trx_ref')).toBe(txRef);
    expect(location.searchParams.get('status')).toBe('cancelled');
  });

  it('leaves the pending test number pending, without a webhook', async () => {
    const { txRef, nextAction } = await initialize();
    const sentBefore = sandbox.control.sent.length;
    await sandbox.control.pay(nextAction, chapaTestInputs.mobilePendingForever);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(sandbox.control.sent.length).toBe(sentBefore);
    const verify = await api('GET', `/v1/transaction/verify/${txRef}`);
    expect((verify.body.data as { status: string }).status).toBe('pending');
  });

  it('refuses an input that is not a test input', async () => {
    const { nextAction } = await initialize();
    await expect(sandbox.control.pay(nextAction, '5555555555554444')).rejects.toThrow(/HTTP 422/);
  });

  it('injects a 5xx in Chapa shape, and a hang that close() ends', async () => {
    sandbox.control.failNext('server_error');
    expect(await api('GET', '/v1/banks')).toEqual({
      status: 500,
      body: { message: 'Internal Server Error', status: 'failed', data: null },
    });
    const other = await startChapaSandbox();
    other.control.failNext('timeout');
    const hung = fetch(`${other.url}/v1/banks`, {
      headers: { authorization: `Bearer ${other.env.CHAPA_SECRET_KEY}` },
    }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await hung).toBeInstanceOf(Error);
  });

  it('lists banks as Chapa does', async () => {
    const banks = await api('GET', '/v1/banks');
    expect(banks.body.message).toBe('Banks retrieved');
    const list = banks.body.data as Record<string, unknown>[];
    expect(list.find((b) => b.name === 'telebirr')).toMatchObject({
      id: 855,
      acct_length: 10,
      is_mobilemoney: 1,
      currency: 'ETB',
    });
  });

  it('queues transfers, refuses a repeated reference, and settles by test account', async () => {
    const transfer = (reference: string, account: string) =>
      api('POST', '/v1/transfers', {
        account_name: 'Abebe Bikila',
        account_number: account,
        amount: '20.50',
        currency: 'ETB',
        reference,
        bank_code: 946,
      });
    const reference = ref('wd_');
    expect(await transfer(reference, chapaTestAccounts.success)).toEqual({
      status: 200,
      body: {
        message: 'Transfer Queued Successfully',
        status: 'success',
        data: 'Transfer Queued Successfully',
      },
    });
    const again = await transfer(reference, chapaTestAccounts.success);
    expect(again.status).toBe(400);
    expect(again.body.message).toEqual({ reference: ['The reference has already been taken.'] });
    const webhook = await receiver.waitFor((w) => w.rawBody.includes(reference), 5_000);
    expect(JSON.parse(webhook.rawBody.toString())).toMatchObject({
      event: 'payout.success',
      type: 'Payout',
      amount: '20.50',
      reference,
      bank_id: 946,
    });
    const verify = await api('GET', `/v1/transfers/verify/${reference}`);
    expect(verify.body.data).toMatchObject({
      status: 'success',
      amount: 20.5,
      tx_ref: reference,
      bank_code: 946,
    });

    const stuck = ref('wd_');
    await transfer(stuck, chapaTestAccounts.pendingForever);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(sandbox.control.sent.some((c) => c.body.includes(stuck))).toBe(false);
    expect((await api('GET', `/v1/transfers/verify/${stuck}`)).body.data).toMatchObject({
      status: 'pending',
    });
  });

  describe('callback modes', () => {
    const payAndCount = async (input: string) => {
      const { txRef, nextAction } = await initialize();
      await sandbox.control.pay(nextAction, input);
      return txRef;
    };

    it('holds callbacks out of order until flush, newest first', async () => {
      sandbox.control.setCallbackMode({ type: 'out_of_order' });
      try {
        const first = await payAndCount(chapaTestInputs.cardSuccess);
        const second = await payAndCount(chapaTestInputs.cardDeclined);
        const before = sandbox.control.sent.length;
        await sandbox.control.flush();
        const flushed = sandbox.control.sent.slice(before).map((c) => JSON.parse(c.body).tx_ref);
        expect(flushed).toEqual([second, first]);
      } finally {
        sandbox.control.setCallbackMode({ type: 'normal' });
      }
    });

    it('sends nothing when missing, late when late, and resends verbatim', async () => {
      sandbox.control.setCallbackMode({ type: 'missing' });
      const before = sandbox.control.sent.length;
      await payAndCount(chapaTestInputs.cardSuccess);
      expect(sandbox.control.sent.length).toBe(before);

      sandbox.control.setCallbackMode({ type: 'late', delayMs: 40 });
      const late = await payAndCount(chapaTestInputs.cardSuccess);
      expect(sandbox.control.sent.some((c) => c.body.includes(late))).toBe(false);
      await receiver.waitFor((w) => w.rawBody.includes(late), 5_000);
      sandbox.control.setCallbackMode({ type: 'normal' });

      const last = sandbox.control.sent.at(-1);
      if (!last) throw new Error('nothing sent');
      const count = receiver.received.length;
      await sandbox.control.resend(last);
      expect(receiver.received.length).toBe(count + 1);
      expect(receiver.received.at(-1)?.rawBody.toString()).toBe(last.body);
    });

    it('sends to a new webhook URL once set', async () => {
      const other = await startWebhookReceiver();
      try {
        sandbox.control.setWebhookUrl(`${other.url}/v1/webhooks/chapa`);
        const txRef = await payAndCount(chapaTestInputs.mpesaSuccess);
        await other.waitFor((w) => w.rawBody.includes(txRef), 5_000);
      } finally {
        sandbox.control.setWebhookUrl(`${receiver.url}/v1/webhooks/chapa`);
        await other.close();
      }
    });
  });
});
