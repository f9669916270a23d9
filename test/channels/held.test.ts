/**
 * Money held for someone not on ChatPay yet: claimed when they join, returned by the ledger when
 * nobody does, never both, never lost.
 */
import { describe, expect, it } from 'vitest';
import { HeldTransfers } from '../../src/wallets/index.ts';
import { testApi } from '../helpers/api.ts';

const api = await testApi();
const held = (holdSeconds: number) =>
  new HeldTransfers({
    pool: api.database.pool,
    ledger: api.services.ledger,
    wallets: api.services.wallets,
    holdSeconds,
    pinRequiredAbove: new Map([['KES', 1_000_000n]]),
  });

async function available(userId: string) {
  return (await api.services.wallets.get(userId, 'KES'))?.available;
}

describe('held transfers', () => {
  it('are claimed once by the person who joins with that username', async () => {
    const sender = await api.register();
    await api.fund(sender.id, 'KES', '100.00');
    const view = await held(3600).hold({
      id: 'hld_a',
      fromUserId: sender.id,
      to: '@Newcomer',
      amount: '30.00',
      currency: 'KES',
    });
    expect(view.to).toBe('@newcomer');
    expect(await available(sender.id)).toBe('70.00');
    const { user } = await api.services.users.fromChat('telegram', '900001', { username: 'newcomer' });
    const claimed = await held(3600).claim(user.id, ['@NEWCOMER']);
    expect(claimed.map((c) => c.amount)).toEqual(['30.00']);
    expect(await held(3600).claim(user.id, ['@newcomer'])).toEqual([]);
    expect(await available(user.id)).toBe('30.00');
    expect(await available(sender.id)).toBe('70.00');
    expect(await api.services.ledger.verify()).toEqual([]);
  });

  it('go back to the sender when nobody claims them in time, and can’t be claimed after', async () => {
    const sender = await api.register();
    await api.fund(sender.id, 'KES', '50.00');
    await held(1).hold({
      id: 'hld_b',
      fromUserId: sender.id,
      to: '@latecomer',
      amount: '20.00',
      currency: 'KES',
    });
    expect(await available(sender.id)).toBe('30.00');
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await api.services.ledger.expirePending();
    expect(await available(sender.id)).toBe('50.00');
    const { user } = await api.services.users.fromChat('telegram', '900002', { username: 'latecomer' });
    expect(await held(1).claim(user.id, ['@latecomer'])).toEqual([]);
    expect(await available(user.id)).toBe('0.00');
    const { rows } = await api.database.pool.query(`SELECT status FROM held_transfers WHERE id = 'hld_b'`);
    expect(rows[0]).toEqual({ status: 'returned' });
    expect(await api.services.ledger.verify()).toEqual([]);
  });

  it('tell whose money went back', async () => {
    const sender = await api.register();
    await api.fund(sender.id, 'KES', '10.00');
    await held(1).hold({
      id: 'hld_c',
      fromUserId: sender.id,
      to: '@nobody_came',
      amount: '5.00',
      currency: 'KES',
    });
    await new Promise((resolve) => setTimeout(resolve, 6_200));
    await api.services.ledger.expirePending();
    expect(await held(1).expire()).toEqual([
      { fromUserId: sender.id, to: '@nobody_came', amount: '5.00', currency: 'KES' },
    ]);
    expect(await available(sender.id)).toBe('10.00');
  });
});
