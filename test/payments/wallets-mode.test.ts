/**
 * People's wallets hold money of one mode (WALLETS_MODE): their deposits, withdrawals and quotes go
 * only through providers in that mode, so money paid into a sandbox (or under test credentials) can
 * never be withdrawn through a real provider. Merchants keep their per-key modes.
 */
import { describe, expect, it } from 'vitest';
import type { FlowEngine } from '../../src/channels/flows/index.ts';
import { type TestUser, testPin } from '../helpers/api.ts';
import { testFlowEngine } from '../helpers/flows.ts';
import { paymentsHarness } from '../helpers/payments.ts';

// A deployment with live M-Pesa credentials and Chapa on test credentials (for merchants' test keys):
// each adapter talks to its sandbox, M-Pesa's standing in for the real Daraja.
const harness = await paymentsHarness({
  providers: ['mpesa', 'chapa'],
  modes: { mpesa: 'live' },
  walletsMode: 'live',
  worker: false,
  approvalAbove: 'KES=1000000,ETB=1000000',
});
const { api } = harness;
const mpesaPhone = '+254708374149';
let keys = 0;

function post(user: TestUser, url: string, payload: unknown) {
  return api.app.inject({
    method: 'POST',
    url,
    headers: { ...user.auth, 'idempotency-key': `m-${keys++}` },
    payload: payload as Record<string, unknown>,
  });
}

async function paymentsCount(): Promise<number> {
  const { rows } = await api.database.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM payments`);
  return rows[0]?.n ?? -1;
}

describe('live wallets', () => {
  it('refuses a deposit, a withdrawal and a quote through a test-mode provider, changing nothing', async () => {
    const user = await api.registerWithPin({ currency: 'ETB', amount: '500.00' });
    const before = await paymentsCount();
    const attempts = [
      post(user, '/v1/deposits', {
        provider: 'chapa',
        amount: '100.00',
        currency: 'ETB',
        email: 'a@example.com',
      }),
      post(user, '/v1/withdrawals', {
        provider: 'chapa',
        amount: '100.00',
        currency: 'ETB',
        destination: { bank_code: '946', account_number: '1000123456789' },
        pin: testPin,
      }),
      post(user, '/v1/quotes', {
        provider: 'chapa',
        direction: 'deposit',
        amount: '100.00',
        currency: 'ETB',
      }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect([response.statusCode, response.json().error?.code, response.json().error?.param]).toEqual([
        400,
        'provider_mode_mismatch',
        'provider',
      ]);
    }
    expect(await paymentsCount()).toBe(before);
    expect(await api.available(user.id, 'ETB')).toBe(50_000n);
  });

  it('deposits and withdraws through the live provider', async () => {
    const user = await api.registerWithPin({ currency: 'KES', amount: '500.00' });
    const quote = await post(user, '/v1/quotes', {
      provider: 'mpesa',
      direction: 'withdrawal',
      amount: '50.00',
      currency: 'KES',
    });
    expect(quote.statusCode, quote.body).toBe(200);
    const deposit = await post(user, '/v1/deposits', {
      provider: 'mpesa',
      amount: '100.00',
      currency: 'KES',
      phone: mpesaPhone,
    });
    expect([deposit.statusCode, deposit.json().status]).toEqual([201, 'pending']);
    const withdrawal = await post(user, '/v1/withdrawals', {
      provider: 'mpesa',
      amount: '50.00',
      currency: 'KES',
      destination: { phone: mpesaPhone },
      pin: testPin,
    });
    expect([withdrawal.statusCode, withdrawal.json().status]).toEqual([201, 'pending']);
    const { rows } = await api.database.pool.query(
      `SELECT kind, mode FROM payments WHERE user_id = $1 ORDER BY kind`,
      [user.id],
    );
    expect(rows).toEqual([
      { kind: 'deposit', mode: 'live' },
      { kind: 'withdrawal', mode: 'live' },
    ]);
  });

  it('offers a deposit in the chat only through the providers in the wallets’ mode', async () => {
    const bot = testFlowEngine(api);
    let updates = 0;
    const say = async (event: Parameters<FlowEngine['handle']>[0]['event']) => {
      const result = await bot.handle({
        channel: 'telegram',
        updateId: String(updates++),
        chatId: '7001',
        from: { externalId: '7001', username: 'livewallets', firstName: 'Live', languageCode: 'en' },
        event,
      });
      return result.replies.map((r) => `${r.text} ${JSON.stringify(r.buttons ?? [])}`).join('\n');
    };
    await say({ type: 'command', name: 'start', args: '' });
    // Chapa (test credentials) would add ETB; only live M-Pesa's KES is offered, and straight away.
    const offered = await say({ type: 'command', name: 'deposit', args: '' });
    expect(offered).toMatch(/KES/);
    expect(offered).not.toMatch(/ETB|chapa/i);
  });

  it('offers the chat flows only the providers in the wallets’ mode', () => {
    expect(api.services.payments.walletProviders().map((p) => p.id)).toEqual(['mpesa']);
    expect(
      api.services.payments
        .providers()
        .map((p) => [p.id, p.mode, p.wallets])
        .sort(),
    ).toEqual([
      ['chapa', 'test', false],
      ['mpesa', 'live', true],
    ]);
  });

  it('leaves merchants to their key’s mode: a test key still collects through the test-mode provider', async () => {
    const admin = await harness.operator('admin');
    const merchant = (await post(admin, '/v1/merchants', { name: 'Test-mode shop' })).json();
    const key = (await post(admin, `/v1/merchants/${merchant.id}/api_keys`, { mode: 'test' })).json();
    const collected = await post(
      { auth: { authorization: `Bearer ${key.secret}` } } as TestUser,
      '/v1/payments',
      {
        provider: 'chapa',
        amount: '10.00',
        currency: 'ETB',
        customer: { email: 'buyer@example.com' },
      },
    );
    expect([collected.statusCode, collected.json().mode]).toEqual([201, 'test']);
  });
});
