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

/** The chat notices queued with this id (the `chat_notice` jobs' payloads). */
async function notices(id: string): Promise<{ id: string; userId: string; key: string; values: unknown }[]> {
  const { rows } = await api.database.pool.query(
    `SELECT p.payload FROM graphile_worker._private_jobs p JOIN graphile_worker._private_tasks t ON t.id = p.task_id
      WHERE t.identifier = 'chat_notice' AND p.payload->>'id' = $1`,
    [id],
  );
  return rows.map((r) => r.payload);
}

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
    // The sender's notice was queued with the settlement, once.
    expect(await held(1).expire()).toEqual([]);
    expect(await notices('held.returned:hld_c')).toEqual([
      {
        id: 'held.returned:hld_c',
        userId: sender.id,
        key: 'held.returned',
        values: { to: '@nobody_came', amount: '5.00', currency: 'KES' },
      },
    ]);
  });

  it('are claimed by whoever proves the phone number, never by typing it at registration; each person told once when claims race', async () => {
    const sender = await api.register();
    await api.fund(sender.id, 'KES', '10.00');
    await held(3600).hold({
      id: 'hld_d',
      fromUserId: sender.id,
      to: '+254744000004',
      amount: '4.00',
      currency: 'KES',
    });
    const other = await api.register({ phone: '+254744000005' });
    const recipient = await api.register({ phone: '+254744000004' });
    const claimJobs = async () =>
      (
        await api.database.pool.query(
          `SELECT key FROM graphile_worker.jobs WHERE task_identifier = 'held_transfers_claim' ORDER BY key`,
        )
      ).rows;
    // A number typed at registration proves nothing: no claim is queued, and none is made.
    expect(await claimJobs()).toEqual([]);
    expect(await held(3600).claimByPhone(recipient.id)).toEqual([]);
    expect(await available(recipient.id)).toBe('0.00');
    // Vouched by a channel (a Telegram contact shared as their own sets this), it queues the claim.
    await api.database.pool.query(`UPDATE users SET phone_verified_at = now() WHERE id = ANY($1)`, [
      [recipient.id, other.id],
    ]);
    expect(await claimJobs()).toEqual([{ key: `held_claim:${recipient.id}` }]);
    expect(await held(3600).claimByPhone(other.id)).toEqual([]);
    const raced = await Promise.all([
      held(3600).claimByPhone(recipient.id),
      held(3600).claim(recipient.id, ['+254744000004']),
    ]);
    expect(raced.flat().map((c) => [c.id, c.amount])).toEqual([['hld_d', '4.00']]);
    expect(await available(recipient.id)).toBe('4.00');
    expect(await available(sender.id)).toBe('6.00');
    expect((await notices('held.claimed:hld_d')).map((n) => n.values)).toEqual([
      { to: '+254744000004', amount: '4.00', currency: 'KES' },
    ]);
    // Only the claim by phone (the job's: tellRecipient) tells the recipient, and only if it won.
    expect((await notices('held.received:hld_d')).length).toBe(raced[0]?.length);
    expect(await api.services.ledger.verify()).toEqual([]);
  });

  it('are only held for a phone number in E.164', async () => {
    const sender = await api.register();
    await api.fund(sender.id, 'KES', '10.00');
    await expect(
      held(3600).hold({
        id: 'hld_e',
        fromUserId: sender.id,
        to: '0712345678',
        amount: '1.00',
        currency: 'KES',
      }),
    ).rejects.toMatchObject({ code: 'phone_invalid' });
    expect(await available(sender.id)).toBe('10.00');
    // A number however written is held as users store theirs, so their phone finds it.
    const view = await held(3600).hold({
      id: 'hld_f',
      fromUserId: sender.id,
      to: '+254 (744) 000-006',
      amount: '1.00',
      currency: 'KES',
    });
    expect(view.to).toBe('+254744000006');
  });
});
