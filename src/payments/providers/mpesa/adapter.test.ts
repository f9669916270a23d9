import { constants, publicEncrypt } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/logger.ts';
import { Secret } from '../../../shared/secret.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../conformance/receiver.ts';
import { type PaymentProvider, ProviderError } from '../provider.ts';
import { mpesa } from './definition.ts';
import { TokenSource } from './oauth.ts';
import type { MpesaSandbox } from './sandbox.ts';
import { startMpesaSandbox } from './sandbox.ts';

const create = (env: Record<string, string>) =>
  mpesa.create({ env, mode: 'test', timeoutMs: 1_000, logger: createLogger('silent') });

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a ProviderError');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(ProviderError);
      return error as ProviderError;
    },
  );

describe('mpesa adapter', () => {
  let sandbox: MpesaSandbox;
  let receiver: WebhookReceiver;
  let provider: PaymentProvider;
  let callbackUrl: string;
  const request = (reference: string, phone = '+254708374149', amountMinor = 12_300n) => ({
    reference,
    amountMinor,
    currency: 'KES',
    phone,
    description: 'Deposit',
    callbackUrl,
  });
  const payout = (reference: string, phone = '+254708374149') => ({
    reference,
    amountMinor: 5_000n,
    currency: 'KES',
    destination: { type: 'phone' as const, phone },
    description: 'Withdrawal',
    callbackUrl,
  });

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    sandbox = await startMpesaSandbox({ payerDelayMs: 30 });
    provider = create(sandbox.env);
    callbackUrl = `${receiver.url}/v1/webhooks/mpesa`;
  });
  afterAll(async () => {
    await sandbox?.close();
    await receiver?.close();
  });

  it('refuses cents, other currencies, bad phones and bank payouts before any HTTP call', async () => {
    // An API base nothing listens on: any HTTP attempt would be `unavailable`, not `invalid_request`.
    const offline = create({ ...sandbox.env, MPESA_API_BASE: 'http://127.0.0.1:9' });
    expect(
      (await failureOf(offline.initiateCollection(request('dep_cents', '+254708374149', 12_350n)))).kind,
    ).toBe('invalid_request');
    expect(
      (await failureOf(offline.initiateCollection({ ...request('dep_usd'), currency: 'USD' }))).kind,
    ).toBe('invalid_request');
    expect((await failureOf(offline.initiateCollection(request('dep_phone', '+255712345678')))).kind).toBe(
      'invalid_request',
    );
    const bank = {
      ...payout('wd_bank'),
      destination: { type: 'bank' as const, bankCode: '01', accountNumber: '1' },
    };
    expect((await failureOf(offline.initiatePayout!(bank))).kind).toBe('invalid_request');
    expect(
      (await failureOf(offline.getStatus({ kind: 'collection', reference: 'dep_x', providerId: null }))).kind,
    ).toBe('invalid_request');
    expect((await failureOf(offline.initiateCollection(request('dep_up')))).kind).toBe('unavailable');
  });

  it('sends whole shillings and our token in the callback URL, which verifyWebhook accepts', async () => {
    const result = await provider.initiateCollection(request('dep_units01'));
    expect(result).toEqual({
      providerId: expect.stringMatching(/^ws_CO_/),
      nextAction: { type: 'stk_push_sent' },
    });
    const webhook = await receiver.waitFor((w) => w.rawBody.includes(result.providerId ?? '?'), 5_000);
    expect(webhook.path).toBe(`/v1/webhooks/mpesa/${sandbox.env.MPESA_CALLBACK_TOKEN}`);
    expect(() => provider.verifyWebhook(webhook)).not.toThrow();
    const [event] = provider.parseWebhook(webhook);
    expect(event).toMatchObject({
      status: 'succeeded',
      amountMinor: 12_300n,
      currency: 'KES',
      requiresConfirmation: true,
    });
    expect(event?.receipt).toMatch(/^[A-Z0-9]{10}$/);
  });

  it('says pending while the handset has not answered', async () => {
    const result = await provider.initiateCollection(request('dep_silent01', '+254700000000'));
    const status = await provider.getStatus({
      kind: 'collection',
      reference: 'dep_silent01',
      providerId: result.providerId,
    });
    expect(status.status).toBe('pending');
  });

  it('maps wrong credentials to auth, without printing them', async () => {
    const wrongSecret = create({ ...sandbox.env, MPESA_CONSUMER_SECRET: 'not-the-secret-at-all' });
    const refused = await failureOf(wrongSecret.initiateCollection(request('dep_auth01')));
    expect(refused).toMatchObject({
      kind: 'auth',
      retryable: false,
      httpStatus: 400,
      providerCode: '400.008.01',
    });
    expect(refused.message).not.toContain('not-the-secret-at-all');
    expect(JSON.stringify(refused)).not.toContain(sandbox.env.MPESA_CONSUMER_KEY);

    const wrongPasskey = create({ ...sandbox.env, MPESA_PASSKEY: 'f'.repeat(64) });
    const wrong = await failureOf(wrongPasskey.initiateCollection(request('dep_auth02')));
    expect(wrong).toMatchObject({ kind: 'auth', retryable: false, providerCode: '500.001.1001' });
    expect(wrong.message).not.toContain('f'.repeat(64));

    const garbled = create({ ...sandbox.env, MPESA_SECURITY_CREDENTIAL: 'bm90IGEgY2lwaGVydGV4dA==' });
    expect(await failureOf(garbled.initiatePayout!(payout('wd_auth01')))).toMatchObject({
      kind: 'auth',
      retryable: false,
    });
  });

  it('fetches a new token once when Daraja calls the cached one invalid', async () => {
    await provider.initiateCollection(request('dep_token01'));
    sandbox.revokeTokens();
    const result = await provider.initiateCollection(request('dep_token02'));
    expect(result.providerId).toMatch(/^ws_CO_/);
  });

  it('answers a retried payout with the same providerId and pays once', async () => {
    const first = await provider.initiatePayout!(payout('wd_retry01'));
    const again = await provider.initiatePayout!(payout('wd_retry01'));
    expect(first).toEqual({ providerId: 'wd_retry01', status: 'pending' });
    expect(again).toEqual(first);
    await receiver.waitFor((w) => w.rawBody.includes('"OriginatorConversationID":"wd_retry01"'), 5_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const results = sandbox.control.sent.filter((c) =>
      c.body.includes('"OriginatorConversationID":"wd_retry01"'),
    );
    expect(results).toHaveLength(1);
  });

  it('reports a payout failure from a wrong initiator password', async () => {
    const credential = publicEncrypt(
      { key: sandbox.publicKeyPem, padding: constants.RSA_PKCS1_PADDING },
      Buffer.from('wrong password'),
    ).toString('base64');
    const wrongInitiator = create({ ...sandbox.env, MPESA_SECURITY_CREDENTIAL: credential });
    await wrongInitiator.initiatePayout!(payout('wd_initiator01'));
    const webhook = await receiver.waitFor((w) => w.rawBody.includes('wd_initiator01'), 5_000);
    expect(provider.parseWebhook(webhook)[0]?.failure).toMatchObject({
      code: 'processing_error',
      providerCode: '2001',
    });
  });

  it('reads payout status from the Transaction Status query, whose callback is a payout event too', async () => {
    await provider.initiatePayout!(payout('wd_status01'));
    await receiver.waitFor((w) => w.rawBody.includes('"OriginatorConversationID":"wd_status01"'), 5_000);
    const status = await provider.getStatus({
      kind: 'payout',
      reference: 'wd_status01',
      providerId: 'wd_status01',
    });
    expect(status).toMatchObject({
      status: 'succeeded',
      amountMinor: 5_000n,
      currency: 'KES',
      reference: 'wd_status01',
    });
    expect(status.receipt).toMatch(/^[A-Z0-9]{10}$/);
    const webhook = await receiver.waitFor((w) => w.rawBody.includes('status:wd_status01'), 5_000);
    provider.verifyWebhook(webhook);
    expect(provider.parseWebhook(webhook)).toEqual([
      expect.objectContaining({ kind: 'payout', reference: 'wd_status01', status: 'succeeded' }),
    ]);
  });

  it('needs a result URL before it can ask about a payout', async () => {
    const fresh = create(sandbox.env);
    const refused = await failureOf(fresh.getStatus({ kind: 'payout', reference: 'wd_x', providerId: null }));
    expect(refused.kind).toBe('invalid_request');
    const configured = create({ ...sandbox.env, MPESA_RESULT_URL: callbackUrl });
    expect(
      (await configured.getStatus({ kind: 'payout', reference: 'wd_unknown', providerId: null })).status,
    ).toBe('pending');
  });
});

describe('mpesa token source', () => {
  it('caches the token until shortly before expiry and shares one fetch between callers', async () => {
    let fetches = 0;
    const server = createServer((_req, res) => {
      fetches += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: `token${fetches}`, expires_in: '3599' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      let now = 1_000_000;
      const tokens = new TokenSource({
        apiBase: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        consumerKey: new Secret('key'),
        consumerSecret: new Secret('secret'),
        timeoutMs: 1_000,
        now: () => now,
      });
      const [a, b] = await Promise.all([tokens.get(), tokens.get()]);
      expect(a.reveal()).toBe('token1');
      expect(b).toBe(a);
      now += 3_000_000;
      expect((await tokens.get()).reveal()).toBe('token1');
      now += 560_000;
      expect((await tokens.get()).reveal()).toBe('token2');
      const current = await tokens.get();
      tokens.invalidate(current);
      expect((await tokens.get()).reveal()).toBe('token3');
      expect(fetches).toBe(3);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
