/**
 * A frozen user's money can't leave, decided by the ledger in the batch that would move it (migration
 * 0015): a freeze sets `debits_frozen` on the user's wallets, sends ask the ledger to refuse frozen
 * debits, and the batch's compare-and-set write checks the flag as it checks the totals. So there is
 * no window between a freeze check and the money moving, even for a batch that skips its read.
 */
import { describe, expect, it } from 'vitest';
import type { Pool } from '../../src/db/pool.ts';
import type { Ledger } from '../../src/ledger/index.ts';
import { newId } from '../../src/shared/ids.ts';
import { freezeUser, unfreezeUser } from '../../src/users/freeze.ts';
import { Users } from '../../src/users/users.ts';
import { TransferService } from '../../src/wallets/transfers.ts';
import { Wallets, walletAccountId } from '../../src/wallets/wallets.ts';
import { freshDatabase, testLedger } from '../helpers/database.ts';

const { pool } = await freshDatabase();

function setup(ledger: Ledger = testLedger(pool)) {
  const users = new Users(pool);
  const wallets = new Wallets(pool, ledger);
  const transfers = new TransferService({
    pool,
    ledger,
    users,
    wallets,
    pinRequiredAbove: new Map([['KES', 1_000_000_00n]]),
  });
  const source = `funding-${newId('x')}`;
  const person = async (funded: boolean) => {
    const user = await users.register({
      email: `${newId('f')}@example.com`,
      password: 'correct horse battery',
    });
    if (funded) {
      await ledger.createAccounts([{ id: source, currency: 'KES', kind: 'suspense' }]);
      const [r] = await ledger.createTransfers([
        {
          id: newId('txf'),
          debitAccountId: source,
          creditAccountId: await wallets.ensure(user.id, 'KES'),
          amount: 100_00n,
          currency: 'KES',
          code: 'deposit',
        },
      ]);
      expect(r?.result).toBe('ok');
    }
    return user.id;
  };
  const send = (from: string, to: string, amount = '1.00') =>
    transfers.send({ fromUserId: from, to, amount, currency: 'KES', transferId: newId('txf') });
  const available = async (userId: string) => {
    const [wallet] = (await wallets.list(userId)).filter((w) => w.currency === 'KES');
    return wallet?.available;
  };
  return { ledger, wallets, person, send, available };
}

async function frozenFlags(db: Pool, userId: string): Promise<boolean[]> {
  const { rows } = await db.query<{ debits_frozen: boolean }>(
    `SELECT debits_frozen FROM ledger_accounts WHERE owner_id = $1 AND kind = 'wallet' ORDER BY id`,
    [userId],
  );
  return rows.map((r) => r.debits_frozen);
}

describe('frozen debits', () => {
  it('refuses exactly the frozen senders of one batch, and lets money in to them', async () => {
    const { person, send, available } = setup();
    const senders = await Promise.all(Array.from({ length: 12 }, () => person(true)));
    const receiver = await person(true);
    const frozen = new Set(senders.filter((_, i) => i % 3 === 0));
    for (const id of frozen) await freezeUser(pool, id, 'test');
    // All at once: the ledger takes them in one or two batches.
    const outcomes = await Promise.allSettled(senders.map((id) => send(id, receiver)));
    outcomes.forEach((outcome, i) => {
      const id = senders[i] as string;
      if (frozen.has(id))
        expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'user_frozen' } });
      else expect(outcome.status).toBe('fulfilled');
    });
    for (const id of frozen) expect(await available(id)).toBe('100.00');
    expect(await available(receiver)).toBe('108.00');
    // Money still comes in to a frozen user.
    const frozenOne = [...frozen][0] as string;
    await send(receiver, frozenOne);
    expect(await available(frozenOne)).toBe('101.00');
  });

  it('refuses a send whose batch skips the read, when the freeze came after the totals were known', async () => {
    const { ledger, person, send, available } = setup();
    const batches: boolean[] = [];
    ledger.onBatch((stats) => batches.push(stats.readSkipped));
    const alice = await person(true);
    const bob = await person(true);
    await send(alice, bob); // the engine now knows both wallets' totals
    await send(alice, bob);
    expect(batches.at(-1)).toBe(true); // and a send between them skips the read
    await freezeUser(pool, alice, 'test'); // written behind the engine's back, as by another process
    await expect(send(alice, bob)).rejects.toMatchObject({ code: 'user_frozen' });
    expect(await available(alice)).toBe('98.00');
    await unfreezeUser(pool, alice);
    await send(alice, bob);
    expect(await available(alice)).toBe('97.00');
  });

  it("freezes a frozen user's wallet opened after the freeze, and unfreezes every wallet", async () => {
    const { person, send, available } = setup();
    const frozenUser = await person(false); // no wallet yet
    const friend = await person(true);
    await freezeUser(pool, frozenUser, 'test');
    expect(await frozenFlags(pool, frozenUser)).toEqual([]);
    await send(friend, frozenUser, '5.00'); // opens their KES wallet
    expect(await available(frozenUser)).toBe('5.00');
    expect(await frozenFlags(pool, frozenUser)).toEqual([true]);
    await expect(send(frozenUser, friend)).rejects.toMatchObject({ code: 'user_frozen' });
    await unfreezeUser(pool, frozenUser);
    expect(await frozenFlags(pool, frozenUser)).toEqual([false]);
    await send(frozenUser, friend);
    expect(await available(frozenUser)).toBe('4.00');
  });

  it('lets a transfer that does not ask (an operator correction, a settlement) debit a frozen wallet', async () => {
    const { ledger, wallets, person } = setup();
    const user = await person(true);
    await freezeUser(pool, user, 'test');
    const wallet = await wallets.ensure(user, 'KES');
    await ledger.createAccounts([{ id: 'corrections-KES', currency: 'KES', kind: 'operating' }]);
    const transfer = {
      debitAccountId: wallet,
      creditAccountId: 'corrections-KES',
      amount: 1_00n,
      currency: 'KES',
      code: 'adjustment',
    };
    const [asked] = await ledger.createTransfers([{ id: newId('txf'), ...transfer }], {
      refuseFrozenDebits: true,
    });
    expect(asked?.result).toBe('debit_account_frozen');
    const [plain] = await ledger.createTransfers([{ id: newId('txf'), ...transfer }]);
    expect(plain?.result).toBe('ok');
    expect((await ledger.getAccount(wallet))?.debitsFrozen).toBe(true);
  });

  it('still accepts writes from a process that predates the flag (nine-element account tuples)', async () => {
    const { ledger, person } = setup();
    const wallet = walletAccountId(await person(true), 'KES');
    expect(await ledger.getAccount(wallet)).toBeDefined();
    const a = await ledger.getAccount(wallet);
    const totals = [a?.debitsPosted, a?.creditsPosted, a?.debitsPending, a?.creditsPending].map(String);
    // The compare-and-set of an old process: new totals (unchanged here) and the ones it read, no flag.
    const write = (tuple: unknown[]) =>
      pool.query('SELECT ledger_write_batch($1::jsonb, $2::jsonb)', ['[]', JSON.stringify([tuple])]);
    await write([wallet, ...totals, ...totals]);
    // The flag, when given, is compared: a stale one fails the write whole.
    await write([wallet, ...totals, ...totals, false]);
    await expect(write([wallet, ...totals, ...totals, true])).rejects.toMatchObject({ code: '40001' });
  });
});
