import { constants, publicEncrypt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../conformance/receiver.ts';
import { type MpesaSandbox, startMpesaSandbox } from './sandbox.ts';
import { darajaTimestamp, stkPassword } from './transformers.ts';

interface Answer {
  status: number;
  json: Record<string, unknown>;
}

describe('mpesa sandbox', () => {
  let sandbox: MpesaSandbox;
  let receiver: WebhookReceiver;
  let bearer: string;

  const call = async (path: string, body: unknown, token = bearer): Promise<Answer> => {
    const response = await fetch(`${sandbox.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  const oauth = async (authorization: string, query = '?grant_type=client_credentials') => {
    const response = await fetch(`${sandbox.url}/oauth/v1/generate${query}`, { headers: { authorization } });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  const basic = () =>
    `Basic ${Buffer.from(`${sandbox.env.MPESA_CONSUMER_KEY}:${sandbox.env.MPESA_CONSUMER_SECRET}`).toString('base64')}`;
  const stkAuth = (at = new Date()) => {
    const timestamp = darajaTimestamp(at);
    return {
      BusinessShortCode: '174379',
      Password: stkPassword('174379', sandbox.env.MPESA_PASSKEY ?? '', timestamp),
      Timestamp: timestamp,
    };
  };
  const stkPush = (msisdn: string, overrides: Record<string, unknown> = {}) =>
    call('/mpesa/stkpush/v1/processrequest', {
      ...stkAuth(),
      TransactionType: 'CustomerPayBillOnline',
      Amount: 5,
      PartyA: msisdn,
      PartyB: '174379',
      PhoneNumber: msisdn,
      CallBackURL: `${receiver.url}/v1/webhooks/mpesa/tok`,
      AccountReference: 'abc123',
      TransactionDesc: 'Test',
      ...overrides,
    });
  const b2c = (partyB: string, overrides: Record<string, unknown> = {}) =>
    call('/mpesa/b2c/v3/paymentrequest', {
      OriginatorConversationID: `wd_${Math.random().toString(36).slice(2)}`,
      InitiatorName: 'testapi',
      SecurityCredential: sandbox.env.MPESA_SECURITY_CREDENTIAL,
      CommandID: 'BusinessPayment',
      Amount: 50,
      PartyA: '600996',
      PartyB: partyB,
      Remarks: 'Test',
      QueueTimeOutURL: `${receiver.url}/v1/webhooks/mpesa/queue`,
      ResultURL: `${receiver.url}/v1/webhooks/mpesa/result`,
      Occasion: '',
      ...overrides,
    });

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    sandbox = await startMpesaSandbox({ payerDelayMs: 20 });
    const token = await oauth(basic());
    bearer = String(token.json.access_token);
  });
  afterAll(async () => {
    await sandbox?.close();
    await receiver?.close();
  });

  it('issues tokens for Basic auth only, with expires_in as a string', async () => {
    const good = await oauth(basic());
    expect(good.status).toBe(200);
    expect(good.json.expires_in).toBe('3599');
    expect(typeof good.json.access_token).toBe('string');
    const wrong = await oauth(`Basic ${Buffer.from('key:wrong').toString('base64')}`);
    expect(wrong.status).toBe(400);
    expect(wrong.json).toMatchObject({
      errorCode: '400.008.01',
      errorMessage: 'Invalid Authentication passed',
    });
    expect(typeof wrong.json.requestId).toBe('string');
    expect((await oauth(basic(), '')).json.errorCode).toBe('400.008.02');
  });

  it('refuses an unknown or revoked Bearer token as Daraja does', async () => {
    const answer = await stkPush('254708374149', {}).then(() =>
      call('/mpesa/stkpushquery/v1/query', stkAuth(), 'nope'),
    );
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ errorCode: '404.001.03', errorMessage: 'Invalid Access Token' });
    sandbox.revokeTokens();
    expect((await stkPush('254708374149')).status).toBe(401);
    bearer = String((await oauth(basic())).json.access_token);
    expect((await stkPush('254708374149')).status).toBe(200);
  });

  it('checks the STK Password and refuses a stale Timestamp', async () => {
    const stale = await stkPush('254708374149', stkAuth(new Date(Date.now() - 10 * 60 * 1000)));
    expect(stale.status).toBe(400);
    expect(stale.json).toMatchObject({
      errorCode: '400.002.02',
      errorMessage: 'Bad Request - Invalid Timestamp',
    });
    const wrong = await stkPush('254708374149', { Password: Buffer.from('174379x').toString('base64') });
    expect(wrong.status).toBe(500);
    expect(wrong.json).toMatchObject({ errorCode: '500.001.1001', errorMessage: 'Wrong credentials' });
    expect((await stkPush('254708374149', { AccountReference: 'x'.repeat(13) })).status).toBe(400);
    expect((await stkPush('254708374149', { Amount: 1.5 })).json.errorMessage).toBe(
      'Bad Request - Invalid Amount',
    );
    expect((await stkPush('+254708374149')).json.errorMessage).toBe('Bad Request - Invalid PhoneNumber');
  });

  it('sends the STK callback in Daraja’s shape and answers the query with string codes', async () => {
    const push = await stkPush('254708374149', { Amount: '7' });
    expect(push.json).toMatchObject({ ResponseCode: '0', CustomerMessage: expect.any(String) });
    const webhook = await receiver.waitFor(
      (w) => w.rawBody.includes(String(push.json.CheckoutRequestID)),
      5_000,
    );
    expect(webhook.token).toBe('tok');
    const callback = JSON.parse(webhook.rawBody.toString('utf8')).Body.stkCallback;
    expect(callback.ResultCode).toBe(0);
    expect(callback.CheckoutRequestID).toBe(push.json.CheckoutRequestID);
    const items = callback.CallbackMetadata.Item as { Name: string; Value?: unknown }[];
    expect(items.find((i) => i.Name === 'Amount')?.Value).toBe(7);
    expect(items.find((i) => i.Name === 'Balance')).toEqual({ Name: 'Balance' });
    expect(typeof items.find((i) => i.Name === 'TransactionDate')?.Value).toBe('number');
    expect(items.find((i) => i.Name === 'PhoneNumber')?.Value).toBe(254708374149);
    const query = await call('/mpesa/stkpushquery/v1/query', {
      ...stkAuth(),
      CheckoutRequestID: push.json.CheckoutRequestID,
    });
    expect(query.status).toBe(200);
    expect(query.json).toMatchObject({ ResponseCode: '0', ResultCode: '0' });

    const cancelled = await stkPush('254700001032');
    const failed = await receiver.waitFor(
      (w) => w.rawBody.includes(String(cancelled.json.CheckoutRequestID)),
      5_000,
    );
    const failedBody = JSON.parse(failed.rawBody.toString('utf8')).Body.stkCallback;
    expect(failedBody.ResultCode).toBe(1032);
    expect(failedBody.CallbackMetadata).toBeUndefined();
    const failedQuery = await call('/mpesa/stkpushquery/v1/query', {
      ...stkAuth(),
      CheckoutRequestID: cancelled.json.CheckoutRequestID,
    });
    expect(failedQuery.json.ResultCode).toBe('1032');
  });

  it('keeps the silent handset pending: a 500 "being processed" and no callback', async () => {
    const push = await stkPush('254700000000');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const query = await call('/mpesa/stkpushquery/v1/query', {
      ...stkAuth(),
      CheckoutRequestID: push.json.CheckoutRequestID,
    });
    expect(query.status).toBe(500);
    expect(query.json).toMatchObject({
      errorCode: '500.001.1001',
      errorMessage: 'The transaction is being processed',
    });
    expect(sandbox.control.sent.some((c) => c.body.includes(String(push.json.CheckoutRequestID)))).toBe(
      false,
    );
  });

  it('pays B2C to ResultURL and sends a queue timeout to QueueTimeOutURL', async () => {
    const paid = await b2c('254708374149');
    expect(paid.json).toMatchObject({ ResponseCode: '0', ConversationID: expect.stringMatching(/^AG_/) });
    const delivered = await receiver.waitFor(
      (w) => w.rawBody.includes(String(paid.json.ConversationID)),
      5_000,
    );
    expect(delivered.path).toBe('/v1/webhooks/mpesa/result');
    const result = JSON.parse(delivered.rawBody.toString('utf8')).Result;
    expect(result.ResultCode).toBe(0);
    expect(result.OriginatorConversationID).toBe(paid.json.OriginatorConversationID);
    const timedOut = await b2c('254700001019');
    const webhook = await receiver.waitFor(
      (w) => w.rawBody.includes(String(timedOut.json.ConversationID)),
      5_000,
    );
    expect(webhook.path).toBe('/v1/webhooks/mpesa/queue');
  });

  it('refuses a duplicate OriginatorConversationID and a credential that is not RSA ciphertext', async () => {
    const first = await b2c('254708374149', { OriginatorConversationID: 'wd_duplicate1' });
    expect(first.status).toBe(200);
    const again = await b2c('254708374149', { OriginatorConversationID: 'wd_duplicate1' });
    expect(again.status).toBe(400);
    expect(again.json.errorMessage).toMatch(/Duplicate OriginatorConversationID/);
    const bad = await b2c('254708374149', { SecurityCredential: 'bm90IGEgY2lwaGVydGV4dA==' });
    expect(bad.json).toMatchObject({
      errorCode: '400.002.02',
      errorMessage: 'Bad Request - Invalid SecurityCredential',
    });
  });

  it('answers a wrong initiator password with result 2001', async () => {
    const wrong = publicEncrypt(
      { key: sandbox.publicKeyPem, padding: constants.RSA_PKCS1_PADDING },
      Buffer.from('not the password'),
    ).toString('base64');
    const answer = await b2c('254708374149', { SecurityCredential: wrong });
    expect(answer.status).toBe(200);
    const webhook = await receiver.waitFor(
      (w) => w.rawBody.includes(String(answer.json.ConversationID)),
      5_000,
    );
    expect(JSON.parse(webhook.rawBody.toString('utf8')).Result.ResultCode).toBe(2001);
  });

  it('injects 5xx and hangs on API calls but never on OAuth', async () => {
    sandbox.control.failNext('server_error');
    expect((await oauth(basic())).status).toBe(200);
    const failed = await stkPush('254708374149');
    expect(failed.status).toBe(500);
    expect(failed.json).toMatchObject({ errorCode: '500.003.1001', requestId: expect.any(String) });
    sandbox.control.failNext('timeout');
    const hung = await fetch(`${sandbox.url}/mpesa/stkpushquery/v1/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}` },
      body: '{}',
      signal: AbortSignal.timeout(300),
    }).catch((error: unknown) => error);
    expect((hung as Error).name).toBe('TimeoutError');
    expect((await stkPush('254708374149')).status).toBe(200);
  });

  it('holds callbacks out of order until flush, drops them when missing, and resends exactly', async () => {
    sandbox.control.setCallbackMode({ type: 'out_of_order' });
    const first = await stkPush('254708374149');
    const second = await stkPush('254700001032');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const before = receiver.received.length;
    await sandbox.control.flush();
    const order = receiver.received.slice(before).map((w) => w.rawBody.toString('utf8'));
    expect(order[0]).toContain(String(second.json.CheckoutRequestID));
    expect(order[1]).toContain(String(first.json.CheckoutRequestID));

    sandbox.control.setCallbackMode({ type: 'missing' });
    const sentBefore = sandbox.control.sent.length;
    await stkPush('254708374149');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sandbox.control.sent.length).toBe(sentBefore);
    sandbox.control.setCallbackMode({ type: 'normal' });

    const last = sandbox.control.sent.at(-1);
    if (!last) throw new Error('nothing sent');
    const count = receiver.received.length;
    await sandbox.control.resend(last);
    expect(receiver.received.at(-1)?.rawBody.toString('utf8')).toBe(last.body);
    expect(receiver.received.length).toBe(count + 1);
  });

  it('closes promptly with a request hanging and a handset still deciding', async () => {
    const other = await startMpesaSandbox({ payerDelayMs: 60_000 });
    const token = await fetch(`${other.url}/oauth/v1/generate?grant_type=client_credentials`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${other.env.MPESA_CONSUMER_KEY}:${other.env.MPESA_CONSUMER_SECRET}`).toString('base64')}`,
      },
    }).then((r) => r.json() as Promise<{ access_token: string }>);
    other.control.failNext('timeout');
    const hanging = fetch(`${other.url}/mpesa/stkpushquery/v1/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.access_token}` },
      body: '{}',
    }).catch(() => 'closed');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await hanging).toBe('closed');
  });
});
