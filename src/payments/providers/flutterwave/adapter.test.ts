import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/logger.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../conformance/receiver.ts';
import { type PaymentProvider, ProviderError, type Sandbox, WebhookVerificationError } from '../provider.ts';
import { flutterwave } from './index.ts';

const logger = createLogger('silent');
const create = (env: Record<string, string>) =>
  flutterwave.create({ env, mode: 'test', timeoutMs: 1_000, logger });
const ref = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`;

let sandbox: Sandbox;
let receiver: WebhookReceiver;
let provider: PaymentProvider;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  sandbox = await flutterwave.startSandbox({
    webhookUrl: `${receiver.url}/v1/webhooks/flutterwave`,
    payerDelayMs: 20,
  });
  provider = create({ ...sandbox.env });
});
afterAll(async () => {
  await sandbox?.close();
  await receiver?.close();
});

async function collect(reference: string, amountMinor = 123_457n) {
  return provider.initiateCollection({
    reference,
    amountMinor,
    currency: 'NGN',
    email: 'ada@example.com',
    description: 'Top-up',
    callbackUrl: `${receiver.url}/v1/webhooks/flutterwave`,
    returnUrl: 'http://127.0.0.1/return',
  });
}

async function thrown(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

function signedWebhook(body: object, hash = sandbox.env.FLUTTERWAVE_WEBHOOK_HASH ?? '') {
  const rawBody = Buffer.from(JSON.stringify(body));
  const signature = createHmac('sha256', hash).update(rawBody).digest('base64');
  return { headers: { 'verif-hash': hash, 'flutterwave-signature': signature }, rawBody };
}

describe('credentials', () => {
  it('turns a wrong secret key into a non-retryable auth error that never shows the key', async () => {
    const wrongKey = `FLWSECK_TEST-${'f'.repeat(32)}-X`;
    const error = await thrown(
      create({ ...sandbox.env, FLUTTERWAVE_SECRET_KEY: wrongKey }).getStatus({
        kind: 'collection',
        reference: ref('dep'),
        providerId: null,
      }),
    );
    expect(error.kind).toBe('auth');
    expect(error.retryable).toBe(false);
    expect(error.httpStatus).toBe(401);
    expect(error.providerCode).toBe('Invalid authorization key');
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain(wrongKey);
  });

  it('refuses to build without a secret key', () => {
    expect(() => create({})).toThrow(/FLUTTERWAVE_SECRET_KEY/);
  });
});

describe('collections', () => {
  it('refuses requests Flutterwave could not take, before calling it', async () => {
    const base = {
      reference: ref('dep'),
      amountMinor: 100n,
      currency: 'NGN',
      email: 'a@example.com',
      description: 'x',
      callbackUrl: 'http://127.0.0.1/cb',
    };
    expect((await thrown(provider.initiateCollection({ ...base, email: undefined }))).kind).toBe(
      'invalid_request',
    );
    expect((await thrown(provider.initiateCollection({ ...base, currency: 'ETB' }))).kind).toBe(
      'invalid_request',
    );
    // More significant digits than a JSON number (a double) can carry exactly.
    const huge = await thrown(
      provider.initiateCollection({ ...base, amountMinor: 12_345_678_901_234_567_891n }),
    );
    expect(huge.kind).toBe('invalid_request');
  });

  it('reports a link nobody has paid yet as pending', async () => {
    const reference = ref('dep');
    await collect(reference);
    const status = await provider.getStatus({ kind: 'collection', reference, providerId: null });
    expect(status).toEqual({ status: 'pending', reference });
  });

  it('answers a retried tx_ref with the same link, and refuses one already paid', async () => {
    const reference = ref('dep');
    const first = await collect(reference);
    const again = await collect(reference);
    expect(again.nextAction).toEqual(first.nextAction);
    await sandbox.control.pay(first.nextAction, '5531886652142950');
    const error = await thrown(collect(reference));
    expect(error.kind).toBe('invalid_request');
    expect(error.providerCode).toMatch(/Duplicate tx_ref/);
  });

  it('finds a paid charge by our reference alone, with its receipt', async () => {
    const reference = ref('dep');
    const result = await collect(reference);
    await sandbox.control.pay(result.nextAction, '5531886652142950');
    const status = await provider.getStatus({ kind: 'collection', reference, providerId: null });
    expect(status.status).toBe('succeeded');
    expect(status.amountMinor).toBe(123_457n);
    expect(status.receipt).toMatch(/^FLW-MOCK-/);
    expect(status.providerId).toMatch(/^[0-9]+$/);
  });

  it('leaves a charge abandoned at the OTP step pending, with no webhook', async () => {
    const reference = ref('dep');
    const before = sandbox.control.sent.length;
    const result = await collect(reference);
    await sandbox.control.pay(result.nextAction, '5531886652142950:');
    const status = await provider.getStatus({ kind: 'collection', reference, providerId: null });
    expect(status.status).toBe('pending');
    expect(status.providerId).toMatch(/^[0-9]+$/);
    expect(sandbox.control.sent.length).toBe(before);
  });

  it('refuses an answer about another reference', async () => {
    const paid = ref('dep');
    const result = await collect(paid);
    await sandbox.control.pay(result.nextAction, '5531886652142950');
    const { providerId } = await provider.getStatus({
      kind: 'collection',
      reference: paid,
      providerId: null,
    });
    const error = await thrown(
      provider.getStatus({ kind: 'collection', reference: ref('dep'), providerId: providerId ?? null }),
    );
    expect(error.kind).toBe('invalid_request');
  });
});

describe('refunds', () => {
  it('refunds part then the rest of a paid charge, and refuses more', async () => {
    const reference = ref('dep');
    const result = await collect(reference, 10_000n);
    await sandbox.control.pay(result.nextAction, '5531886652142950');
    const refund = provider.refund?.bind(provider);
    if (!refund) throw new Error('refund missing');
    const request = { paymentReference: reference, providerId: null, currency: 'NGN' };
    const part = await refund({ ...request, refundId: ref('rf'), amountMinor: 2_550n });
    expect(part.status).toBe('succeeded');
    expect(part.providerId).toMatch(/^[0-9]+$/);
    expect((await refund({ ...request, refundId: ref('rf'), amountMinor: 7_450n })).status).toBe('succeeded');
    const over = await thrown(refund({ ...request, refundId: ref('rf'), amountMinor: 1n }));
    expect(over.kind).toBe('invalid_request');
  });

  it('refuses to refund a failed charge, and never calls a timed-out refund retryable', async () => {
    const reference = ref('dep');
    const result = await collect(reference);
    await sandbox.control.pay(result.nextAction, '5258585922666506');
    const request = { paymentReference: reference, providerId: null, currency: 'NGN', amountMinor: 100n };
    expect((await thrown(provider.refund!({ ...request, refundId: ref('rf') }))).kind).toBe(
      'invalid_request',
    );

    const paid = ref('dep');
    await sandbox.control.pay((await collect(paid)).nextAction, '5531886652142950');
    const { providerId } = await provider.getStatus({
      kind: 'collection',
      reference: paid,
      providerId: null,
    });
    sandbox.control.failNext('timeout');
    const timedOut = await thrown(
      provider.refund!({
        ...request,
        paymentReference: paid,
        providerId: providerId ?? null,
        refundId: ref('rf'),
      }),
    );
    expect(timedOut.kind).toBe('timeout');
    expect(timedOut.retryable).toBe(false);
  });
});

describe('payouts', () => {
  const payout = (reference: string, accountNumber: string) =>
    provider.initiatePayout!({
      reference,
      amountMinor: 500_000n,
      currency: 'NGN',
      destination: { type: 'bank', bankCode: '044', accountNumber },
      description: 'Withdrawal',
      callbackUrl: `${receiver.url}/v1/webhooks/flutterwave`,
    });

  it('follows the first transfer when a reference is sent twice, creating no second one', async () => {
    const reference = ref('wd');
    const first = await payout(reference, '0690000041');
    const again = await payout(reference, '0690000041');
    expect(again.providerId).toBe(first.providerId);
    const listed = await fetch(`${sandbox.url}/v3/transfers?reference=${reference}`, {
      headers: { authorization: `Bearer ${sandbox.env.FLUTTERWAVE_SECRET_KEY}` },
    });
    expect(((await listed.json()) as { data: unknown[] }).data).toHaveLength(1);
  });

  it('keeps a transfer stuck in NEW pending, by id and by reference', async () => {
    const reference = ref('wd');
    const first = await payout(reference, '0690000041');
    expect(first.status).toBe('pending');
    expect(
      (await provider.getStatus({ kind: 'payout', reference, providerId: first.providerId })).status,
    ).toBe('pending');
    expect((await provider.getStatus({ kind: 'payout', reference, providerId: null })).providerId).toBe(
      first.providerId,
    );
  });

  it('reports a reference Flutterwave never saw as pending with nothing moved', async () => {
    const reference = ref('wd');
    expect(await provider.getStatus({ kind: 'payout', reference, providerId: null })).toEqual({
      status: 'pending',
      reference,
    });
  });

  it('declines a blacklisted account at once', async () => {
    const error = await thrown(payout(ref('wd'), '0690000036'));
    expect(error.kind).toBe('declined');
    expect(error.retryable).toBe(false);
    expect(error.failure?.code).toBe('invalid_destination');
  });

  it('refuses destinations it cannot pay', async () => {
    const error = await thrown(
      provider.initiatePayout!({
        reference: ref('wd'),
        amountMinor: 100n,
        currency: 'NGN',
        destination: { type: 'phone', phone: '+2348012345678' },
        description: 'x',
        callbackUrl: 'http://127.0.0.1/cb',
      }),
    );
    expect(error.kind).toBe('invalid_request');
  });
});

describe('banks and accounts', () => {
  it('lists Nigerian banks for NGN and refuses a currency without a list', async () => {
    const banks = await provider.listBanks!('NGN');
    expect(banks).toContainEqual({ code: '044', name: 'Access Bank', currency: 'NGN' });
    expect((await provider.listBanks!('KES')).find((b) => b.code === 'MPS')?.mobileMoney).toBe(true);
    expect((await thrown(provider.listBanks!('USD'))).kind).toBe('invalid_request');
  });

  it('resolves a test account and refuses an unknown one as an invalid destination', async () => {
    expect(await provider.resolveAccount!('044', '0690000032')).toBe('PASTOR BRIGHT');
    const error = await thrown(provider.resolveAccount!('044', '0690009999'));
    expect(error.kind).toBe('invalid_request');
    expect(error.failure?.code).toBe('invalid_destination');
  });
});

describe('webhooks', () => {
  const charge = {
    event: 'charge.completed',
    data: {
      id: 285959875,
      tx_ref: 'dep_abc',
      flw_ref: 'FLW-MOCK-1',
      amount: 1234.57,
      currency: 'NGN',
      charged_amount: 1234.57,
      processor_response: 'Insufficient Funds',
      status: 'failed',
    },
  };

  it('accepts the hash alone (older deliveries) and the hash with a matching signature', () => {
    const signed = signedWebhook(charge);
    expect(() => provider.verifyWebhook(signed)).not.toThrow();
    expect(() =>
      provider.verifyWebhook({
        headers: { 'verif-hash': signed.headers['verif-hash'] },
        rawBody: signed.rawBody,
      }),
    ).not.toThrow();
  });

  it('refuses a missing hash, a wrong hash, a signature over other bytes, and any hash when none is set', () => {
    const signed = signedWebhook(charge);
    const reason = (fn: () => void) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(WebhookVerificationError);
        return (error as WebhookVerificationError).reason;
      }
      return 'accepted';
    };
    expect(reason(() => provider.verifyWebhook({ headers: {}, rawBody: signed.rawBody }))).toBe(
      'signature_missing',
    );
    expect(
      reason(() => provider.verifyWebhook({ headers: { 'verif-hash': 'nope' }, rawBody: signed.rawBody })),
    ).toBe('signature_invalid');
    // The right hash for this account but a prefix of it: equal-length compare must not be fooled.
    const hash = signed.headers['verif-hash'];
    expect(
      reason(() =>
        provider.verifyWebhook({ headers: { 'verif-hash': hash.slice(0, -1) }, rawBody: signed.rawBody }),
      ),
    ).toBe('signature_invalid');
    const other = Buffer.from(JSON.stringify({ ...charge, data: { ...charge.data, amount: 99_999 } }));
    expect(reason(() => provider.verifyWebhook({ headers: signed.headers, rawBody: other }))).toBe(
      'signature_invalid',
    );
    const { FLUTTERWAVE_WEBHOOK_HASH: _, ...noHash } = sandbox.env;
    expect(reason(() => create(noHash).verifyWebhook(signed))).toBe('signature_invalid');
  });

  it('parses a charge into a collection event that asks for confirmation', () => {
    const [event] = provider.parseWebhook(signedWebhook(charge));
    expect(event).toEqual({
      eventId: 'charge.completed:285959875:failed',
      kind: 'collection',
      reference: 'dep_abc',
      providerId: '285959875',
      status: 'failed',
      amountMinor: 123_457n,
      currency: 'NGN',
      failure: {
        code: 'insufficient_funds',
        message: 'The payer has insufficient funds.',
        providerCode: 'Insufficient Funds',
      },
      receipt: 'FLW-MOCK-1',
      requiresConfirmation: true,
    });
  });

  it('parses transfers, including deliveries named only by event.type', () => {
    const transfer = {
      'event.type': 'Transfer',
      data: {
        id: 33286,
        reference: 'wd_1',
        amount: 30020,
        currency: 'NGN',
        status: 'SUCCESSFUL',
        fee: 26.875,
      },
    };
    const [event] = provider.parseWebhook(signedWebhook(transfer));
    expect(event).toMatchObject({
      eventId: 'transfer.completed:33286:successful',
      kind: 'payout',
      reference: 'wd_1',
      status: 'succeeded',
      amountMinor: 3_002_000n,
      requiresConfirmation: true,
    });
  });

  it('calls a body it cannot read malformed, amounts with too many decimals included', () => {
    const malformed = (rawBody: Buffer) => {
      try {
        provider.parseWebhook({ headers: {}, rawBody });
      } catch (error) {
        return (error as WebhookVerificationError).reason;
      }
      return 'parsed';
    };
    expect(malformed(Buffer.from('not json'))).toBe('malformed');
    expect(malformed(Buffer.from('{"event":"charge.completed"}'))).toBe('malformed');
    const precise = { ...charge, data: { ...charge.data, amount: 1234.567 } };
    expect(malformed(Buffer.from(JSON.stringify(precise)))).toBe('malformed');
  });

  it('keeps unknown events as "other" with a stable id', () => {
    const body = signedWebhook({ event: 'subscription.cancelled', data: { id: 9 } });
    const [event] = provider.parseWebhook(body);
    expect(event).toMatchObject({
      kind: 'other',
      eventId: 'subscription.cancelled:9:received',
      status: 'pending',
    });
  });
});

describe('against a misbehaving server', () => {
  let server: Server;
  let url: string;
  let seen: { headers: IncomingMessage['headers']; body: string } | undefined;
  let answer: { status: number; body: string } = { status: 200, body: '{}' };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const key = `FLWSECK_TEST-${'a'.repeat(32)}-X`;
  const request = {
    reference: 'dep_wire',
    amountMinor: 123_457n,
    currency: 'NGN',
    email: 'ada@example.com',
    name: 'Ada Obi',
    description: 'Top-up',
    callbackUrl: 'https://pay.example.com/v1/webhooks/flutterwave',
  };

  it('sends the bearer key and the amount as a JSON number in naira', async () => {
    answer = {
      status: 200,
      body: '{"status":"success","message":"Hosting Link","data":{"link":"https://x.test/p"}}',
    };
    const adapter = create({ FLUTTERWAVE_SECRET_KEY: key, FLUTTERWAVE_API_BASE: `${url}/` });
    await adapter.initiateCollection(request);
    expect(seen?.headers.authorization).toBe(`Bearer ${key}`);
    expect(seen?.body).toContain('"amount":1234.57,');
    expect(JSON.parse(seen?.body ?? '{}')).toMatchObject({
      tx_ref: 'dep_wire',
      currency: 'NGN',
      redirect_url: 'https://pay.example.com/',
      customer: { email: 'ada@example.com', name: 'Ada Obi' },
    });
  });

  it('calls a success without a usable link, or a 200 error envelope, unavailable', async () => {
    const adapter = create({ FLUTTERWAVE_SECRET_KEY: key, FLUTTERWAVE_API_BASE: url });
    answer = { status: 200, body: '{"status":"success","message":"Hosting Link","data":{}}' };
    expect((await thrown(adapter.initiateCollection(request))).kind).toBe('unavailable');
    answer = { status: 200, body: '{"status":"error","message":"odd","data":null}' };
    expect((await thrown(adapter.initiateCollection(request))).kind).toBe('unavailable');
    answer = { status: 200, body: '<html>' };
    expect((await thrown(adapter.initiateCollection(request))).kind).toBe('unavailable');
  });

  it('maps 400 to invalid_request with Flutterwave message, 5xx to retryable unavailable', async () => {
    const adapter = create({ FLUTTERWAVE_SECRET_KEY: key, FLUTTERWAVE_API_BASE: url });
    answer = { status: 400, body: '{"status":"error","message":"Invalid currency","data":null}' };
    const refused = await thrown(adapter.initiateCollection(request));
    expect(refused.kind).toBe('invalid_request');
    expect(refused.providerCode).toBe('Invalid currency');
    expect(refused.retryable).toBe(false);
    answer = { status: 503, body: 'busy' };
    const busy = await thrown(
      adapter.getStatus({ kind: 'collection', reference: 'dep_wire', providerId: '12' }),
    );
    expect(busy.kind).toBe('unavailable');
    expect(busy.retryable).toBe(true);
  });

  it('refuses a charge whose amount has more decimals than the currency', async () => {
    const adapter = create({ FLUTTERWAVE_SECRET_KEY: key, FLUTTERWAVE_API_BASE: url });
    answer = {
      status: 200,
      body: JSON.stringify({
        status: 'success',
        message: 'Transaction fetched successfully',
        data: { id: 12, tx_ref: 'dep_wire', amount: 1234.567, currency: 'NGN', status: 'successful' },
      }),
    };
    const error = await thrown(
      adapter.getStatus({ kind: 'collection', reference: 'dep_wire', providerId: '12' }),
    );
    expect(error.kind).toBe('unavailable');
  });
});
