import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/logger.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../conformance/receiver.ts';
import {
  type CollectionRequest,
  type PaymentProvider,
  ProviderError,
  type Sandbox,
  type WebhookRequest,
  WebhookVerificationError,
} from '../provider.ts';
import { chapa } from './definition.ts';
import { chapaTestAccounts, chapaTestInputs } from './sandbox-data.ts';
import { chapaSignature } from './webhook.ts';

const logger = createLogger('silent');
const create = (env: Record<string, string>, mode: 'test' | 'live' = 'test') =>
  chapa.create({ env, mode, timeoutMs: 1_000, logger });
const ref = (prefix = 'dep_') => `${prefix}${randomBytes(8).toString('hex')}`;

describe('chapa adapter', () => {
  let receiver: WebhookReceiver;
  let sandbox: Sandbox;
  let provider: PaymentProvider;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    sandbox = await chapa.startSandbox({ webhookUrl: `${receiver.url}/v1/webhooks/chapa`, payerDelayMs: 20 });
    provider = create(sandbox.env);
  });
  afterAll(async () => {
    await sandbox?.close();
    await receiver?.close();
  });

  const collection = (overrides: Partial<CollectionRequest> = {}): CollectionRequest => ({
    reference: ref(),
    amountMinor: 12_347n,
    currency: 'ETB',
    email: 'abebe@example.com',
    name: 'Abebe Bikila',
    description: 'Deposit (wallet #1)',
    callbackUrl: `${receiver.url}/v1/webhooks/chapa`,
    ...overrides,
  });
  const caught = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => error,
    );

  it('turns wrong credentials into auth without showing the key', async () => {
    const wrong = create({ ...sandbox.env, CHAPA_SECRET_KEY: 'CHASECK_TEST-wrongwrongwrong' });
    const error = await caught(wrong.initiateCollection(collection()));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe('auth');
    expect((error as ProviderError).httpStatus).toBe(401);
    expect(String((error as Error).message)).not.toContain('wrongwrongwrong');
    expect(inspect(provider)).not.toContain(sandbox.env.CHAPA_SECRET_KEY);
  });

  it('sends amounts in major units and reads them back exactly', async () => {
    const request = collection({ amountMinor: 5n, currency: 'USD' });
    const result = await provider.initiateCollection(request);
    expect(result).toMatchObject({ providerId: null, nextAction: { type: 'redirect' } });
    const status = await provider.getStatus({
      kind: 'collection',
      reference: request.reference,
      providerId: null,
    });
    expect(status).toMatchObject({
      status: 'pending',
      amountMinor: 5n,
      currency: 'USD',
      reference: request.reference,
    });
  });

  it('refuses a tx_ref Chapa has seen, as a non-retryable invalid request', async () => {
    const request = collection();
    await provider.initiateCollection(request);
    const error = await caught(provider.initiateCollection(request));
    expect(error).toMatchObject({
      kind: 'invalid_request',
      providerCode: 'duplicate_tx_ref',
      retryable: false,
    });
  });

  it('refuses currencies Chapa does not take before calling it', async () => {
    sandbox.control.failNext('server_error');
    const error = await caught(provider.initiateCollection(collection({ currency: 'KES' })));
    expect(error).toMatchObject({ kind: 'invalid_request' });
    // The injected 5xx is still queued: the adapter made no call.
    const next = await caught(provider.listBanks?.('ETB') ?? Promise.resolve());
    expect(next).toMatchObject({ kind: 'unavailable', retryable: true });
  });

  it('says which reference Chapa does not know', async () => {
    const error = await caught(
      provider.getStatus({ kind: 'collection', reference: ref(), providerId: null }),
    );
    expect(error).toMatchObject({ kind: 'invalid_request', providerCode: 'not_found', httpStatus: 404 });
    const payout = await caught(
      provider.getStatus({ kind: 'payout', reference: ref('wd_'), providerId: null }),
    );
    expect(payout).toMatchObject({ kind: 'invalid_request', providerCode: 'not_found' });
  });

  it('reports the collection, Chapa reference included, after payment', async () => {
    const request = collection();
    const result = await provider.initiateCollection(request);
    await sandbox.control.pay(result.nextAction, chapaTestInputs.telebirrSuccess);
    const status = await provider.getStatus({
      kind: 'collection',
      reference: request.reference,
      providerId: null,
    });
    expect(status.status).toBe('succeeded');
    expect(status.amountMinor).toBe(12_347n);
    expect(status.providerId).toMatch(/^AP[A-Za-z0-9]{10}$/);
  });

  it('treats a repeated transfer reference as the same transfer', async () => {
    const request = {
      reference: ref('wd_'),
      amountMinor: 2_050n,
      currency: 'ETB',
      destination: {
        type: 'bank' as const,
        bankCode: '946',
        accountNumber: chapaTestAccounts.pendingForever,
        accountName: 'Abebe Bikila',
      },
      description: 'Withdrawal',
      callbackUrl: `${receiver.url}/v1/webhooks/chapa`,
    };
    expect(await provider.initiatePayout?.(request)).toEqual({ providerId: null, status: 'pending' });
    expect(await provider.initiatePayout?.(request)).toEqual({
      providerId: null,
      status: 'pending',
      failure: undefined,
    });
    const status = await provider.getStatus({
      kind: 'payout',
      reference: request.reference,
      providerId: null,
    });
    expect(status).toMatchObject({ status: 'pending', amountMinor: 2_050n, currency: 'ETB' });
    expect(status.providerId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('declines payouts Chapa refuses for balance or destination', async () => {
    const payout = (accountNumber: string, bankCode = '946') =>
      caught(
        provider.initiatePayout?.({
          reference: ref('wd_'),
          amountMinor: 1_000n,
          currency: 'ETB',
          destination: { type: 'bank', bankCode, accountNumber, accountName: 'Abebe Bikila' },
          description: 'Withdrawal',
          callbackUrl: `${receiver.url}/v1/webhooks/chapa`,
        }) ?? Promise.resolve(),
      );
    expect(await payout(chapaTestAccounts.insufficientBalance)).toMatchObject({
      kind: 'declined',
      retryable: false,
      failure: { code: 'insufficient_funds' },
    });
    expect(await payout('12345')).toMatchObject({
      kind: 'declined',
      failure: { code: 'invalid_destination' },
    });
    expect(await payout(chapaTestAccounts.success, '999999')).toMatchObject({
      failure: { code: 'invalid_destination' },
    });
    expect(await payout(chapaTestAccounts.success, 'cbe')).toMatchObject({
      failure: { code: 'invalid_destination' },
    });
  });

  it('refuses phone payouts and missing account names before calling Chapa', async () => {
    const base = {
      reference: ref('wd_'),
      amountMinor: 1_000n,
      currency: 'ETB',
      description: 'W',
      callbackUrl: 'http://x',
    };
    const phone = await caught(
      provider.initiatePayout?.({ ...base, destination: { type: 'phone', phone: '+251911234567' } }) ??
        Promise.resolve(),
    );
    expect(phone).toMatchObject({ kind: 'invalid_request' });
    const nameless = await caught(
      provider.initiatePayout?.({
        ...base,
        destination: { type: 'bank', bankCode: '946', accountNumber: chapaTestAccounts.success },
      }) ?? Promise.resolve(),
    );
    expect(nameless).toMatchObject({ kind: 'invalid_request' });
  });

  it('lists active banks of the currency, wallets marked', async () => {
    const banks = (await provider.listBanks?.('ETB')) ?? [];
    expect(banks.find((b) => b.code === '855')).toEqual({
      code: '855',
      name: 'telebirr',
      currency: 'ETB',
      mobileMoney: true,
    });
    expect(banks.some((b) => b.name === 'Lion International Bank')).toBe(false);
    expect(await provider.listBanks?.('USD')).toEqual([]);
  });

  it('refunds a paid collection once, and a repeat finds it done', async () => {
    const request = collection();
    const result = await provider.initiateCollection(request);
    const before = receiver.received.length;
    await sandbox.control.pay(result.nextAction, chapaTestInputs.cardSuccess);
    const refund = {
      refundId: ref('rf_'),
      paymentReference: request.reference,
      providerId: null,
      amountMinor: request.amountMinor,
      currency: 'ETB',
    };
    const first = await provider.refund?.(refund);
    expect(first?.status).toBe('succeeded');
    expect(first?.providerId).toMatch(/^RF/);
    expect(await provider.refund?.(refund)).toEqual({ providerId: null, status: 'succeeded' });
    const webhook = await receiver.waitFor((w) => w.rawBody.includes('charge.refunded'), 5_000, before);
    provider.verifyWebhook(webhook);
    expect(provider.parseWebhook(webhook)[0]).toMatchObject({ kind: 'refund', reference: request.reference });
  });

  it('refuses to refund an unpaid collection', async () => {
    const request = collection();
    await provider.initiateCollection(request);
    const error = await caught(
      provider.refund?.({
        refundId: ref('rf_'),
        paymentReference: request.reference,
        providerId: null,
        amountMinor: 12_347n,
        currency: 'ETB',
      }) ?? Promise.resolve(),
    );
    expect(error).toMatchObject({ kind: 'invalid_request', httpStatus: 400 });
  });
});

describe('chapa webhook verification', () => {
  const secret = 'whsec-test-secret';
  const provider = create({ CHAPA_SECRET_KEY: 'CHASECK_TEST-x12345678', CHAPA_WEBHOOK_SECRET: secret });
  const body = JSON.stringify({
    event: 'charge.success',
    type: 'API',
    currency: 'ETB',
    amount: '123.47',
    status: 'success',
    mode: 'test',
    reference: 'APabcdefghij',
    tx_ref: 'dep_123',
  });
  const request = (headers: Record<string, string>, raw = body): WebhookRequest => ({
    headers,
    rawBody: Buffer.from(raw),
  });
  const reason = (fn: () => void) => {
    try {
      fn();
      return 'accepted';
    } catch (error) {
      expect(error).toBeInstanceOf(WebhookVerificationError);
      return (error as WebhookVerificationError).reason;
    }
  };

  it('accepts x-chapa-signature over the raw body, in either hex case', () => {
    const signature = chapaSignature(secret, body);
    expect(reason(() => provider.verifyWebhook(request({ 'x-chapa-signature': signature })))).toBe(
      'accepted',
    );
    expect(
      reason(() => provider.verifyWebhook(request({ 'x-chapa-signature': signature.toUpperCase() }))),
    ).toBe('accepted');
  });

  it('falls back to chapa-signature only when x-chapa-signature is absent', () => {
    const good = chapaSignature(secret, body);
    const staticHash = chapaSignature(secret, secret);
    expect(reason(() => provider.verifyWebhook(request({ 'chapa-signature': good })))).toBe('accepted');
    expect(reason(() => provider.verifyWebhook(request({ 'chapa-signature': staticHash })))).toBe(
      'signature_invalid',
    );
    expect(
      reason(() =>
        provider.verifyWebhook(request({ 'x-chapa-signature': staticHash, 'chapa-signature': good })),
      ),
    ).toBe('signature_invalid');
  });

  it('refuses missing, malformed, wrong-secret and re-serialised signatures', () => {
    expect(reason(() => provider.verifyWebhook(request({})))).toBe('signature_missing');
    expect(reason(() => provider.verifyWebhook(request({ 'x-chapa-signature': 'abc' })))).toBe(
      'signature_invalid',
    );
    expect(
      reason(() => provider.verifyWebhook(request({ 'x-chapa-signature': chapaSignature('other', body) }))),
    ).toBe('signature_invalid');
    const reformatted = JSON.stringify(JSON.parse(body), null, 2);
    expect(
      reason(() =>
        provider.verifyWebhook(request({ 'x-chapa-signature': chapaSignature(secret, body) }, reformatted)),
      ),
    ).toBe('signature_invalid');
    const unset = create({ CHAPA_SECRET_KEY: 'CHASECK_TEST-x12345678' });
    expect(
      reason(() => unset.verifyWebhook(request({ 'x-chapa-signature': chapaSignature(secret, body) }))),
    ).toBe('signature_invalid');
  });

  it('parses a charge with a deterministic id and exact amount', () => {
    const [event] = provider.parseWebhook(request({}));
    expect(event).toEqual({
      eventId: 'charge.success:dep_123',
      kind: 'collection',
      reference: 'dep_123',
      providerId: 'APabcdefghij',
      status: 'succeeded',
      amountMinor: 12_347n,
      currency: 'ETB',
      receipt: 'APabcdefghij',
      requiresConfirmation: false,
    });
    expect(provider.parseWebhook(request({}))[0]?.eventId).toBe(event?.eventId);
  });

  it('parses payouts by our reference and keeps cross-mode events from moving money', () => {
    const payout = JSON.stringify({
      event: 'payout.failed',
      type: 'Payout',
      amount: '20.50',
      currency: 'ETB',
      status: 'failed',
      mode: 'test',
      reference: 'wd_42',
      chapa_reference: '4d6a7cb7-0d51-4c27-9a19-cc3f066c85a3',
    });
    expect(provider.parseWebhook(request({}, payout))[0]).toMatchObject({
      eventId: 'payout.failed:wd_42',
      kind: 'payout',
      reference: 'wd_42',
      providerId: '4d6a7cb7-0d51-4c27-9a19-cc3f066c85a3',
      status: 'failed',
      amountMinor: 2_050n,
      failure: { code: 'processing_error' },
    });
    const live = create({ CHAPA_SECRET_KEY: 'CHASECK-x12345678', CHAPA_WEBHOOK_SECRET: secret }, 'live');
    expect(live.parseWebhook(request({}))[0]?.kind).toBe('other');
  });

  it('calls malformed bodies malformed', () => {
    const malformed = (raw: string) => reason(() => provider.parseWebhook(request({}, raw)));
    expect(malformed('not json')).toBe('malformed');
    expect(malformed('[1]')).toBe('malformed');
    expect(malformed('{"tx_ref":"dep_1"}')).toBe('malformed');
    expect(malformed('{"event":"charge.success","amount":"1.00","currency":"ETB"}')).toBe('malformed');
    expect(malformed('{"event":"charge.success","tx_ref":"d","amount":"1.234","currency":"ETB"}')).toBe(
      'malformed',
    );
  });
});
