/**
 * KYC-level limits on what people send (KYC_LIMITS rules with `"direction": "transfer"`): per
 * transaction and per rolling day, counted one send at a time, holds included, retries answered.
 * Currencies and levels without such a rule send as before.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/db/pool.ts';
import { newId } from '../../src/shared/ids.ts';
import { Secret } from '../../src/shared/secret.ts';
import { Users } from '../../src/users/users.ts';
import { TransferService } from '../../src/wallets/transfers.ts';
import { Wallets } from '../../src/wallets/wallets.ts';
import { type TestApi, type TestUser, testApi } from '../helpers/api.ts';
import { quietLogger } from '../helpers/database.ts';

let api: TestApi;
beforeAll(async () => {
  api = await testApi({
    payments: {
      kycLimitsJson: JSON.stringify([
        {
          level: 'none',
          currency: 'ETB',
          direction: 'transfer',
          per_transaction_max: '50',
          per_day_max: '100',
        },
        // No direction: deposits and withdrawals only, as before.
        { level: 'none', currency: 'KES', per_transaction_max: '10', per_day_max: '10' },
      ]),
    },
  });
});

async function funded(currency = 'ETB'): Promise<TestUser> {
  const user = await api.registerWithPin();
  await api.fund(user.id, currency, '1000.00');
  return user;
}

const send = (from: TestUser, to: TestUser, amount: string, currency = 'ETB') =>
  api.app.inject({
    method: 'POST',
    url: '/v1/transfers',
    headers: { ...from.auth, 'idempotency-key': newId('key') },
    payload: { to: to.id, amount, currency },
  });

const codeOf = (res: { statusCode: number; json(): { error?: { code?: string } } }) => [
  res.statusCode,
  res.json().error?.code ?? null,
];

describe('KYC limits on transfers', () => {
  it('refuses a send over the per-transaction limit, naming the level, and moves nothing', async () => {
    const [alice, bob] = [await funded(), await funded()];
    const over = await send(alice, bob, '50.01');
    expect(codeOf(over)).toEqual([400, 'limit_exceeded']);
    expect(over.json().error.message).toMatch(/KYC level none.*largest transfer is 50\.00 ETB/);
    expect(await api.available(alice.id, 'ETB')).toBe(100_000n);
    expect(codeOf(await send(alice, bob, '50.00'))).toEqual([201, null]);
  });

  it('counts the last 24 hours of sends, holds included, against the daily limit', async () => {
    const [alice, bob] = [await funded(), await funded()];
    expect(codeOf(await send(alice, bob, '40.00'))).toEqual([201, null]);
    // A held send (to someone not on ChatPay yet) counts as sent.
    await api.services.held.hold({
      id: newId('held'),
      fromUserId: alice.id,
      to: '+251911000111',
      amount: '40.00',
      currency: 'ETB',
    });
    const over = await send(alice, bob, '30.00');
    expect(codeOf(over)).toEqual([400, 'limit_exceeded']);
    expect(over.json().error.message).toMatch(/100\.00 ETB a day; 20\.00 ETB is left/);
    expect(codeOf(await send(alice, bob, '20.00'))).toEqual([201, null]);
    expect(await api.available(alice.id, 'ETB')).toBe(90_000n);
  });

  it('lets exactly what fits through when sends race', async () => {
    const [alice, bob] = [await funded(), await funded()];
    const answers = await Promise.all(Array.from({ length: 6 }, () => send(alice, bob, '30.00')));
    const codes = answers.map((a) => a.statusCode).sort();
    expect(codes).toEqual([201, 201, 201, 400, 400, 400]);
    expect(await api.available(alice.id, 'ETB')).toBe(91_000n);
  });

  it('answers a retry of a committed send even when the day is full', async () => {
    const [alice, bob] = [await funded(), await funded()];
    const transfers = api.services.transfers;
    const input = { fromUserId: alice.id, to: bob.id, amount: '50.00', currency: 'ETB' };
    const first = await transfers.send({ ...input, transferId: newId('txf') });
    const secondId = newId('txf');
    await transfers.send({ ...input, transferId: secondId });
    const retried = await transfers.send({ ...input, transferId: secondId });
    expect(retried.id).toBe(secondId);
    expect(first.id).not.toBe(secondId);
    expect(await api.available(alice.id, 'ETB')).toBe(90_000n);
  });

  it('opens first-time recipients’ wallets without stalling a small pool', async () => {
    // Two connections and six guarded first sends at once: each guard holds a connection until its
    // ledger transfer commits, so a recipient's wallet must be opened outside it (before: every
    // connection held by a guard waiting for another, until the pool's timeout failed them all).
    const pool = createPool({
      url: new Secret(api.database.url),
      max: 2,
      statementTimeoutMs: 10_000,
      connectionTimeoutMs: 3_000,
      logger: quietLogger,
    });
    try {
      const ledger = api.services.ledger;
      const transfers = new TransferService({
        pool,
        ledger,
        users: new Users(pool),
        wallets: new Wallets(pool, ledger),
        pinRequiredAbove: new Map([['ETB', 1_000_000n]]),
        kycLimits: api.services.payments.context.limits.kyc,
      });
      const senders = await Promise.all(Array.from({ length: 6 }, () => funded()));
      const recipients = await Promise.all(Array.from({ length: 6 }, () => api.register()));
      const sent = await Promise.allSettled(
        senders.map((from, i) =>
          transfers.send({
            fromUserId: from.id,
            to: (recipients[i] as TestUser).id,
            amount: '10.00',
            currency: 'ETB',
            transferId: newId('txf'),
          }),
        ),
      );
      expect(sent.map((s) => (s.status === 'fulfilled' ? 'sent' : String(s.reason)))).toEqual(
        Array(6).fill('sent'),
      );
      for (const r of recipients) expect(await api.available(r.id, 'ETB')).toBe(1_000n);
    } finally {
      await pool.end();
    }
  });

  it('leaves currencies and levels without a transfer rule alone', async () => {
    // KES has a rule without a direction: deposits and withdrawals only.
    const [carol, dave] = [await funded('KES'), await funded('KES')];
    expect(codeOf(await send(carol, dave, '500.00', 'KES'))).toEqual([201, null]);
    // A basic user has no ETB transfer rule.
    const [erin, frank] = [await funded(), await funded()];
    await api.services.pool.query(`UPDATE users SET kyc_level = 'basic' WHERE id = $1`, [erin.id]);
    expect(codeOf(await send(erin, frank, '500.00'))).toEqual([201, null]);
  });
});
