/**
 * The shared conformance suite, adapter level: run against each adapter + sandbox pair over real
 * HTTP. Every documented outcome maps to the right status (through the webhook and through
 * `getStatus`), amounts round-trip in the provider's units, bad signatures are refused, a duplicated
 * callback yields the same event id, and timeouts and 5xx become retryable `ProviderError`s.
 * (The engine level — duplicates applied once, reordering, reconciliation — is in
 * test/payments/, run over every provider too.)
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/logger.ts';
import {
  type CollectionRequest,
  type PaymentProvider,
  ProviderError,
  type Sandbox,
  WebhookVerificationError,
} from '../provider.ts';
import type { ConformanceDriver } from './driver.ts';
import { startWebhookReceiver, type WebhookReceiver } from './receiver.ts';

const adapterTimeoutMs = 1_000;
const webhookWaitMs = 10_000;

export function describeAdapterConformance(driver: ConformanceDriver): void {
  const { definition } = driver;
  describe(`${definition.id} adapter conformance`, () => {
    let receiver: WebhookReceiver;
    let sandbox: Sandbox;
    let provider: PaymentProvider;

    beforeAll(async () => {
      receiver = await startWebhookReceiver();
      sandbox = await definition.startSandbox({
        webhookUrl: `${receiver.url}/v1/webhooks/${definition.id}`,
        payerDelayMs: 50,
      });
      provider = definition.create({
        env: sandbox.env,
        mode: 'test',
        timeoutMs: adapterTimeoutMs,
        logger: createLogger('silent'),
      });
    });
    afterAll(async () => {
      await sandbox?.close();
      await receiver?.close();
    });

    const collect = (payer: Partial<CollectionRequest>) =>
      provider.initiateCollection({
        reference: `dep_conf${randomBytes(8).toString('hex')}`,
        amountMinor: driver.amountMinor,
        currency: driver.currency,
        description: 'Conformance',
        callbackUrl: `${receiver.url}/v1/webhooks/${definition.id}`,
        returnUrl: 'http://127.0.0.1/return',
        ...payer,
      });

    it('declares a coherent capability set', () => {
      expect(provider.id).toBe(definition.id);
      expect(provider.mode).toBe('test');
      expect(provider.capabilities.currencies).toContain(driver.currency);
      expect(Boolean(provider.initiatePayout)).toBe(provider.capabilities.payout);
      expect(Boolean(provider.refund)).toBe(provider.capabilities.refund);
      expect(Boolean(provider.listBanks)).toBe(provider.capabilities.banks);
      expect(Boolean(provider.resolveAccount)).toBe(provider.capabilities.resolveAccount);
      if (provider.capabilities.payout) expect(driver.payouts?.length).toBeGreaterThan(0);
    });

    for (const testCase of driver.collections) {
      it(`collection: ${testCase.name} → ${testCase.expect}`, async () => {
        const reference = `dep_conf${randomBytes(8).toString('hex')}`;
        const result = await provider.initiateCollection({
          reference,
          amountMinor: driver.amountMinor,
          currency: driver.currency,
          description: 'Conformance',
          callbackUrl: `${receiver.url}/v1/webhooks/${definition.id}`,
          returnUrl: 'http://127.0.0.1/return',
          ...testCase.payer,
        });
        expect(result.nextAction.type).toBe(
          provider.capabilities.collectWith === 'phone' ? 'stk_push_sent' : 'redirect',
        );
        await sandbox.control.pay(result.nextAction, testCase.testInput);
        const matches = (e: { reference?: string | undefined; providerId?: string | undefined }) =>
          e.reference === reference || (result.providerId !== null && e.providerId === result.providerId);
        const webhook = await receiver.waitFor((w) => {
          try {
            return provider.parseWebhook(w).some((e) => matches(e) && e.status !== 'pending');
          } catch {
            return false;
          }
        }, webhookWaitMs);
        expect(() => provider.verifyWebhook(webhook)).not.toThrow();
        const event = provider.parseWebhook(webhook).find((e) => matches(e) && e.status !== 'pending');
        expect(event?.kind).toBe('collection');
        expect(event?.status).toBe(testCase.expect);
        if (testCase.failureCode) expect(event?.failure?.code).toBe(testCase.failureCode);
        if (event?.amountMinor !== undefined) expect(event.amountMinor).toBe(driver.amountMinor);
        if (event?.currency !== undefined) expect(event.currency).toBe(driver.currency);

        const status = await provider.getStatus({
          kind: 'collection',
          reference,
          providerId: result.providerId ?? event?.providerId ?? null,
        });
        expect(status.status).toBe(testCase.expect);
        if (testCase.failureCode) expect(status.failure?.code).toBe(testCase.failureCode);
        if (testCase.expect === 'succeeded') {
          expect(status.amountMinor).toBe(driver.statusWithoutAmount ? undefined : driver.amountMinor);
          expect(status.currency).toBe(driver.currency);
        }
      });
    }

    it('refuses a webhook whose body was tampered with, or whose proof is missing', async () => {
      const first = driver.collections[0];
      if (!first) throw new Error('driver has no collection cases');
      const result = await collect(first.payer);
      await sandbox.control.pay(result.nextAction, first.testInput);
      const webhook = await receiver.waitFor(() => true, webhookWaitMs, receiver.received.length - 1);
      provider.verifyWebhook(webhook);
      const text = webhook.rawBody.toString('utf8');
      const tampered = Buffer.from(
        text.replace(/[0-9]/, (d) => String((Number(d) + 1) % 10)),
        'utf8',
      );
      expect(tampered.equals(webhook.rawBody)).toBe(false);
      const verifiesTamperedBody = (() => {
        try {
          provider.verifyWebhook({ ...webhook, rawBody: tampered });
          return true;
        } catch (error) {
          expect(error).toBeInstanceOf(WebhookVerificationError);
          return false;
        }
      })();
      // Protocols without a body signature (M-Pesa's secret URL, Flutterwave's static hash) can't see
      // a changed body: their events must then not move money on their word.
      if (verifiesTamperedBody) {
        const events = provider.parseWebhook({ ...webhook, rawBody: tampered });
        expect(events.every((e) => e.requiresConfirmation)).toBe(true);
      }
      expect(() => provider.verifyWebhook({ headers: {}, rawBody: webhook.rawBody })).toThrow(
        WebhookVerificationError,
      );
      expect(() =>
        provider.verifyWebhook({
          headers: Object.fromEntries(Object.keys(webhook.headers).map((k) => [k, 'x'.repeat(64)])),
          rawBody: webhook.rawBody,
          token: 'x'.repeat(32),
        }),
      ).toThrow(WebhookVerificationError);
    });

    it('gives a duplicated callback the same event id', async () => {
      const success = driver.collections.find((c) => c.expect === 'succeeded') ?? driver.collections[0];
      if (!success) throw new Error('driver has no collection cases');
      sandbox.control.setCallbackMode({ type: 'duplicate' });
      try {
        const before = receiver.received.length;
        const result = await collect(success.payer);
        await sandbox.control.pay(result.nextAction, success.testInput);
        await receiver.waitFor(() => receiver.received.length >= before + 2, webhookWaitMs, before);
        const [a, b] = receiver.received.slice(before, before + 2);
        if (!a || !b) throw new Error('expected two deliveries');
        const idsA = provider.parseWebhook(a).map((e) => e.eventId);
        const idsB = provider.parseWebhook(b).map((e) => e.eventId);
        expect(idsA.length).toBeGreaterThan(0);
        expect(idsB).toEqual(idsA);
      } finally {
        sandbox.control.setCallbackMode({ type: 'normal' });
      }
    });

    it('turns a hung provider into a retryable timeout and a 5xx into a retryable unavailable', async () => {
      const payer = driver.collections[0]?.payer ?? {};
      sandbox.control.failNext('timeout');
      const timedOut = await collect(payer).catch((error: unknown) => error);
      expect(timedOut).toBeInstanceOf(ProviderError);
      expect((timedOut as ProviderError).kind).toBe('timeout');
      expect((timedOut as ProviderError).retryable).toBe(true);

      sandbox.control.failNext('server_error');
      const failed = await collect(payer).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(ProviderError);
      expect((failed as ProviderError).kind).toBe('unavailable');
      expect((failed as ProviderError).retryable).toBe(true);
    });

    for (const testCase of driver.payouts ?? []) {
      it(`payout: ${testCase.name} → ${testCase.expect}`, async () => {
        const initiatePayout = provider.initiatePayout;
        if (!initiatePayout) throw new Error('payout case for a provider without payouts');
        const reference = `wd_conf${randomBytes(8).toString('hex')}`;
        const request = {
          reference,
          amountMinor: driver.amountMinor,
          currency: driver.currency,
          destination: testCase.destination,
          description: 'Conformance payout',
          callbackUrl: `${receiver.url}/v1/webhooks/${definition.id}`,
        };
        const first = await initiatePayout.call(provider, request);
        // The same reference again must not pay twice: it answers the same payout (or says it exists).
        const again = await initiatePayout.call(provider, request).catch((error: unknown) => error);
        if (again instanceof Error) expect(again).toBeInstanceOf(ProviderError);
        else expect((again as { providerId: string | null }).providerId).toBe(first.providerId);

        let status = first.status;
        if (status === 'pending') {
          const webhook = await receiver.waitFor((w) => {
            try {
              return provider
                .parseWebhook(w)
                .some(
                  (e) =>
                    (e.reference === reference || (first.providerId && e.providerId === first.providerId)) &&
                    e.status !== 'pending',
                );
            } catch {
              return false;
            }
          }, webhookWaitMs);
          provider.verifyWebhook(webhook);
          const event = provider
            .parseWebhook(webhook)
            .find((e) => e.reference === reference || e.providerId === first.providerId);
          expect(event?.kind).toBe('payout');
          status = event?.status ?? 'pending';
          if (testCase.failureCode) expect(event?.failure?.code).toBe(testCase.failureCode);
        }
        expect(status).toBe(testCase.expect);
        const queried = await provider.getStatus({ kind: 'payout', reference, providerId: first.providerId });
        expect(queried.status).toBe(testCase.expect);
      });
    }
  });
}
