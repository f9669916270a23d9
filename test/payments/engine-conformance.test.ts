/**
 * The engine level of the conformance suite, run over every provider's adapter + sandbox pair
 * through the real API, the real webhook endpoint, the job worker and PostgreSQL: a deposit to
 * success and to each kind of failure; duplicated, reordered and missing callbacks; an amount that
 * disagrees; withdrawals to success and failure. Every test ends with the ledger's invariants.
 */
import { describe, expect, it } from 'vitest';
import type { ConformanceDriver } from '../../src/payments/providers/conformance/driver.ts';
import type { Sandbox } from '../../src/payments/providers/provider.ts';
import { formatAmount } from '../../src/shared/money.ts';
import { type TestUser, testPin } from '../helpers/api.ts';
import { conformanceDrivers } from '../helpers/drivers.ts';
import { paymentsHarness } from '../helpers/payments.ts';

const harness = await paymentsHarness({ providers: conformanceDrivers.map((d) => d.definition.id) });
const { api } = harness;
let keys = 0;

async function deposit(user: TestUser, driver: ConformanceDriver, payer: Record<string, string | undefined>) {
  const response = await api.app.inject({
    method: 'POST',
    url: '/v1/deposits',
    headers: { ...user.auth, 'idempotency-key': `dep-${keys++}` },
    payload: {
      provider: driver.definition.id,
      amount: formatAmount(driver.amountMinor, driver.currency),
      currency: driver.currency,
      ...(payer.phone ? { phone: payer.phone } : {}),
      ...(payer.email ? { email: payer.email } : {}),
    },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

async function settled(user: TestUser, kind: 'deposits' | 'withdrawals', id: string) {
  return harness.eventually(async () => {
    const body = (
      await api.app.inject({ method: 'GET', url: `/v1/${kind}/${id}`, headers: user.auth })
    ).json();
    return body.status === 'pending' || body.status === 'requires_approval' ? undefined : body;
  });
}

async function eventsFor(paymentId: string): Promise<{ result: string | null }[]> {
  const { rows } = await api.database.pool.query<{ result: string | null }>(
    'SELECT result FROM webhook_events WHERE payment_id = $1',
    [paymentId],
  );
  return rows;
}

/** Waits until the provider itself calls the collection final (a handset answers after a delay). */
async function providerFinal(paymentId: string) {
  const { rows } = await api.database.pool.query<{ provider: string; provider_id: string | null }>(
    'SELECT provider, provider_id FROM payments WHERE id = $1',
    [paymentId],
  );
  const row = rows[0];
  if (!row) throw new Error(`no payment ${paymentId}`);
  const provider = harness.gateway.provider(row.provider);
  await harness.eventually(async () => {
    const status = await provider.getStatus({
      kind: 'collection',
      reference: paymentId,
      providerId: row.provider_id,
    });
    return status.status === 'pending' ? undefined : status;
  });
}

async function expectLedgerSound() {
  expect(await api.services.ledger.verify()).toEqual([]);
}

for (const driver of conformanceDrivers) {
  const id = driver.definition.id;
  const sandbox = () => harness.sandboxes.get(id) as Sandbox;
  const success = driver.collections.find((c) => c.expect === 'succeeded');
  if (!success) throw new Error(`${id}: the driver needs a succeeding collection`);

  describe(`${id} end to end`, () => {
    for (const testCase of driver.collections) {
      it(`deposit: ${testCase.name} → ${testCase.failureCode ?? testCase.expect}`, async () => {
        const user = await api.register();
        const created = await deposit(user, driver, testCase.payer);
        expect(created.status).toBe('pending');
        await sandbox().control.pay(created.next_action, testCase.testInput);
        const final = await settled(user, 'deposits', created.id);
        if (testCase.expect === 'succeeded') {
          expect(final.status).toBe('succeeded');
          expect(await api.available(user.id, driver.currency)).toBe(driver.amountMinor);
        } else {
          expect(['failed', 'canceled', 'expired']).toContain(final.status);
          expect(final.failure.code).toBe(testCase.failureCode);
          expect(await api.available(user.id, driver.currency)).toBe(0n);
        }
        await expectLedgerSound();
      });
    }

    it('applies a duplicated callback once, and ignores a redelivery later', async () => {
      const user = await api.register();
      sandbox().control.setCallbackMode({ type: 'duplicate' });
      try {
        // Counted before the deposit: a handset (M-Pesa) may answer before the request returns.
        const sentBefore = sandbox().control.sent.length;
        const created = await deposit(user, driver, success.payer);
        await sandbox().control.pay(created.next_action, success.testInput);
        await providerFinal(created.id);
        expect((await settled(user, 'deposits', created.id)).status).toBe('succeeded');
        await harness.eventually(async () =>
          sandbox().control.sent.length >= sentBefore + 2 ? true : undefined,
        );
        const last = sandbox().control.sent.at(-1);
        if (last) await sandbox().control.resend(last);
        await harness.eventually(async () => {
          const events = await eventsFor(created.id);
          return events.length > 0 && events.every((e) => e.result !== null) ? true : undefined;
        });
        expect(await api.available(user.id, driver.currency)).toBe(driver.amountMinor);
      } finally {
        sandbox().control.setCallbackMode({ type: 'normal' });
      }
      await expectLedgerSound();
    });

    it('settles once whatever order the callbacks arrive in', async () => {
      const user = await api.register();
      sandbox().control.setCallbackMode({ type: 'out_of_order' });
      let created: { id: string; next_action: never };
      try {
        created = await deposit(user, driver, success.payer);
        await sandbox().control.pay(created.next_action, success.testInput);
        await providerFinal(created.id);
      } finally {
        sandbox().control.setCallbackMode({ type: 'normal' });
      }
      await sandbox().control.flush();
      expect((await settled(user, 'deposits', created.id)).status).toBe('succeeded');
      expect(await api.available(user.id, driver.currency)).toBe(driver.amountMinor);
      await expectLedgerSound();
    });

    it('reconciliation settles a deposit whose callback never came', async () => {
      const user = await api.register();
      sandbox().control.setCallbackMode({ type: 'missing' });
      let created: { id: string; next_action: never };
      try {
        created = await deposit(user, driver, success.payer);
        await sandbox().control.pay(created.next_action, success.testInput);
        await providerFinal(created.id);
      } finally {
        sandbox().control.setCallbackMode({ type: 'normal' });
      }
      const before = (
        await api.app.inject({ method: 'GET', url: `/v1/deposits/${created.id}`, headers: user.auth })
      ).json();
      expect(before.status).toBe('pending');
      await api.database.pool.query(`UPDATE payments SET reconcile_at = now() WHERE id = $1`, [created.id]);
      const report = await api.services.payments.reconcile();
      expect(report.settled).toBeGreaterThanOrEqual(1);
      expect((await settled(user, 'deposits', created.id)).status).toBe('succeeded');
      expect(await api.available(user.id, driver.currency)).toBe(driver.amountMinor);
      await expectLedgerSound();
    });

    it('puts a deposit whose amount disagrees with the provider’s in needs_review, and credits nothing', async () => {
      const user = await api.register();
      const created = await deposit(user, driver, success.payer);
      // Our record now says more than the provider will report.
      await api.database.pool.query(`UPDATE payments SET amount = amount + $2 WHERE id = $1`, [
        created.id,
        (driver.definition.id === 'mpesa' ? 100n : 1n).toString(),
      ]);
      await sandbox().control.pay(created.next_action, success.testInput);
      const final = await settled(user, 'deposits', created.id);
      expect(final.status).toBe('needs_review');
      expect(final.review_reason).toMatch(/amount/);
      expect(await api.available(user.id, driver.currency)).toBe(0n);
      await expectLedgerSound();
    });

    for (const payout of driver.payouts ?? []) {
      it(`withdrawal: ${payout.name} → ${payout.failureCode ?? payout.expect}`, async () => {
        const user = await api.register();
        await api.app.inject({
          method: 'PUT',
          url: '/v1/me/pin',
          headers: user.auth,
          payload: { pin: testPin },
        });
        const funded = driver.amountMinor * 3n;
        await api.fund(user.id, driver.currency, formatAmount(funded, driver.currency));
        const destination =
          payout.destination.type === 'phone'
            ? { phone: payout.destination.phone }
            : {
                bank_code: payout.destination.bankCode,
                account_number: payout.destination.accountNumber,
                ...(payout.destination.accountName ? { account_name: payout.destination.accountName } : {}),
              };
        const response = await api.app.inject({
          method: 'POST',
          url: '/v1/withdrawals',
          headers: { ...user.auth, 'idempotency-key': `wd-${keys++}` },
          payload: {
            provider: id,
            amount: formatAmount(driver.amountMinor, driver.currency),
            currency: driver.currency,
            destination,
            pin: testPin,
          },
        });
        expect(response.statusCode, response.body).toBe(201);
        const created = response.json();
        expect(created.status).toBe('pending');
        // The hold is in place at once.
        expect(await api.available(user.id, driver.currency)).toBe(funded - driver.amountMinor);
        const final = await settled(user, 'withdrawals', created.id);
        if (payout.expect === 'succeeded') {
          expect(final.status).toBe('succeeded');
          expect(await api.available(user.id, driver.currency)).toBe(funded - driver.amountMinor);
        } else {
          expect(['failed', 'canceled', 'expired']).toContain(final.status);
          expect(final.failure.code).toBe(payout.failureCode);
          expect(await api.available(user.id, driver.currency)).toBe(funded);
        }
        await expectLedgerSound();
      });
    }
  });
}
