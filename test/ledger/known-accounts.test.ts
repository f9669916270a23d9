/**
 * Batches that skip the read (src/ledger/known-accounts.ts): a process that knows every account's
 * committed totals writes at once, compare-and-set. Two ledgers on one database stand for two
 * processes, so that one's knowledge goes stale when the other writes.
 */
import { describe, expect, it } from 'vitest';
import { availableBalance, type Ledger } from '../../src/ledger/index.ts';
import { KnownAccounts } from '../../src/ledger/known-accounts.ts';
import { newId } from '../../src/shared/ids.ts';
import { fundedWallets, twoLedgers } from '../helpers/database.ts';

const { db, a, b, batchesOfA } = await twoLedgers();

const accounts = (funding: bigint) => fundedWallets(a, funding);

/** One transfer through `ledger`; its result and how A's batch went (when A ran it). */
async function send(ledger: Ledger, from: string, to: string, amount: bigint, id = newId('txf')) {
  const seen = batchesOfA.length;
  const [result] = await ledger.createTransfers([
    { id, debitAccountId: from, creditAccountId: to, amount, currency: 'ETB', code: 'p2p' },
  ]);
  return { result: result?.result, transfer: result?.transfer, batch: batchesOfA[seen] };
}

const balance = async (id: string) => {
  const account = await a.getAccount(id);
  if (!account) throw new Error(`no account ${id}`);
  return availableBalance(account);
};

describe('batches that skip the read', () => {
  it('skip it for plain transfers between accounts the process knows, with the database clock', async () => {
    const { wallet, other } = await accounts(1_000n);
    const first = await send(a, wallet, other, 100n); // the funding taught A the wallet, not `other`
    expect([first.result, first.batch?.readSkipped]).toEqual(['ok', false]);
    const second = await send(a, wallet, other, 100n);
    expect([second.result, second.batch?.readSkipped, second.batch?.attempts]).toEqual(['ok', true, 1]);
    expect([await balance(wallet), await balance(other)]).toEqual([800n, 200n]);
    // Its time is the database's, as of the last read, and never earlier than the transfer before.
    const stored = await a.getTransfer(second.transfer?.id as string);
    expect(stored?.createdAt.getTime()).toBe(second.transfer?.createdAt.getTime());
    expect(stored?.createdAt.getTime()).toBeGreaterThanOrEqual(first.transfer?.createdAt.getTime() as number);
    const { rows } = await db.pool.query<{ skew: number }>(
      'SELECT abs(extract(epoch FROM (now() - $1::timestamptz))) AS skew',
      [stored?.createdAt.toISOString()],
    );
    expect(Number(rows[0]?.skew)).toBeLessThan(5);
  });

  it('re-read when another process moved the money: no overdraft on stale totals', async () => {
    const { wallet, other } = await accounts(100n);
    await send(a, wallet, other, 10n);
    expect((await send(a, wallet, other, 10n)).batch?.readSkipped).toBe(true); // A knows: 80
    expect((await send(b, wallet, other, 70n)).result).toBe('ok'); // really 10 now
    const stale = await send(a, wallet, other, 50n); // fits the 80 A knew, not the real 10
    expect(stale.result).toBe('exceeds_credits');
    expect([stale.batch?.readSkipped, stale.batch?.attempts]).toEqual([false, 2]);
    expect([await balance(wallet), await balance(other)]).toEqual([10n, 90n]);
    // Another process writes these accounts: for a second, batches read first rather than fail.
    expect((await send(a, wallet, other, 1n)).batch?.readSkipped).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await send(a, wallet, other, 1n)).batch?.readSkipped).toBe(true);
    expect([await balance(wallet), await balance(other)]).toEqual([8n, 92n]);
  });

  it('re-read before refusing: a refusal is never made on totals that may be stale', async () => {
    const { wallet, other, source } = await accounts(100n);
    await send(a, wallet, other, 10n);
    expect((await send(a, wallet, other, 10n)).batch?.readSkipped).toBe(true); // A knows: 80
    const topUp = await b.createTransfers([
      {
        id: newId('txf'),
        debitAccountId: source,
        creditAccountId: wallet,
        amount: 500n,
        currency: 'ETB',
        code: 'deposit',
      },
    ]);
    expect(topUp[0]?.result).toBe('ok'); // really 580 now
    const fits = await send(a, wallet, other, 300n); // too much for the 80 A knew
    expect([fits.result, fits.batch?.readSkipped, fits.batch?.attempts]).toEqual(['ok', false, 1]);
    expect([await balance(wallet), await balance(other)]).toEqual([280n, 320n]);
  });

  it('answer an id another process committed with exists, and move the money once', async () => {
    const { wallet, other } = await accounts(100n);
    await send(a, wallet, other, 10n);
    expect((await send(a, wallet, other, 10n)).batch?.readSkipped).toBe(true);
    const id = newId('txf');
    expect((await send(b, wallet, other, 30n, id)).result).toBe('ok');
    const retry = await send(a, wallet, other, 30n, id);
    expect([retry.result, retry.batch?.attempts]).toEqual(['exists', 2]);
    expect([await balance(wallet), await balance(other)]).toEqual([50n, 50n]);
  });

  it('answer a malformed transfer between known accounts with its own code, changing nothing', async () => {
    const { wallet, other } = await accounts(100n);
    await send(a, wallet, other, 10n);
    expect((await send(a, wallet, other, 10n)).batch?.readSkipped).toBe(true);
    expect((await send(a, wallet, other, 0n)).result).toBe('amount_must_be_positive');
    expect((await send(a, wallet, wallet, 5n)).result).toBe('accounts_must_differ');
    expect([await balance(wallet), await balance(other)]).toEqual([80n, 20n]);
  });

  it('leave the ledger verified clean', async () => {
    expect(await a.verify()).toEqual([]);
  });
});

describe('KnownAccounts', () => {
  const state = (id: string, credits: bigint) => ({
    id,
    currency: 'ETB',
    debitsMustNotExceedCredits: true,
    creditsMustNotExceedDebits: false,
    debitsFrozen: false,
    debitsPosted: 0n,
    creditsPosted: credits,
    debitsPending: 0n,
    creditsPending: 0n,
  });

  it('gives all the accounts asked for or none, as copies the caller may change', () => {
    const known = new KnownAccounts();
    known.remember([state('x', 5n), state('y', 7n)], 1_000);
    expect(known.get(['x', 'z'], 1_000)).toBeUndefined();
    const copy = known.get(['x', 'y'], 1_000);
    const x = copy?.get('x');
    if (x) x.creditsPosted = 99n;
    expect(known.get(['x'], 1_000)?.get('x')?.creditsPosted).toBe(5n);
  });

  it('ignores old entries, forgets on request and keeps at most maxEntries', () => {
    const known = new KnownAccounts({ maxEntries: 2, maxAgeMs: 100 });
    known.remember([state('x', 1n)], 0);
    expect(known.get(['x'], 101)).toBeUndefined();
    known.remember([state('x', 1n), state('y', 2n), state('z', 3n)], 200);
    expect(known.get(['x'], 200)).toBeUndefined(); // the oldest went
    expect(known.get(['y', 'z'], 200)?.size).toBe(2);
    known.forget(['y']);
    expect(known.get(['y'], 200)).toBeUndefined();
  });
});
