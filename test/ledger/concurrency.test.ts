import { beforeAll, describe, expect, it } from 'vitest';
import type { Ledger, TransferInput, TransferResult } from '../../src/ledger/index.ts';
import { freshDatabase, type TestDatabase, testLedger } from '../helpers/database.ts';

let db: TestDatabase;
// Two ledgers on one database behave like two ChatPay processes: separate engines, separate
// connections, racing on the same rows. Callers alternate between them.
let ledgers: [Ledger, Ledger];
let retriedBatches = 0;

beforeAll(async () => {
  db = await freshDatabase(40);
  ledgers = [testLedger(db.pool), testLedger(db.pool)];
  for (const ledger of ledgers) {
    ledger.onBatch((stats) => {
      if (stats.attempts > 1) retriedBatches++;
    });
  }
});

const callers = 64;
const callsPerCaller = 40;
const funding = 1_000n;

async function wallets(prefix: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-w${i}`);
  const [ledger] = ledgers;
  await ledger.createAccounts([{ id: `${prefix}-src`, currency: 'ETB', kind: 'suspense' }]);
  await ledger.createAccounts(
    ids.map((id) => ({
      id,
      currency: 'ETB',
      kind: 'wallet' as const,
      flags: { debitsMustNotExceedCredits: true },
    })),
  );
  const funded = await ledger.createTransfers(
    ids.map((id) => ({
      id: `${id}-fund`,
      debitAccountId: `${prefix}-src`,
      creditAccountId: id,
      amount: funding,
      currency: 'ETB',
      code: 'fund',
    })),
  );
  expect(funded.every((r) => r.result === 'ok')).toBe(true);
  return ids;
}

interface Sent {
  readonly input: TransferInput;
  readonly result: TransferResult;
}

/** Runs `callers` concurrent callers; one call in five re-sends an id sent before, by any caller. */
async function hammer(next: (caller: number, i: number) => TransferInput): Promise<Sent[]> {
  const sent: Sent[] = [];
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      for (let i = 0; i < callsPerCaller; i++) {
        const repeat = i % 5 === 4 && sent.length > 0 ? sent[(caller * 7919 + i) % sent.length] : undefined;
        const input = repeat ? repeat.input : next(caller, i);
        const [result] = await (ledgers[(caller + i) % 2] as Ledger).createTransfers([input]);
        if (!result) throw new Error('no result');
        if (repeat) {
          // A repeat is answered exactly as the first time said: `exists` if that applied it, the
          // same refusal otherwise (balances may have changed, so a refusal may now apply: allowed).
          if (repeat.result.result === 'ok') expect(result.result).toBe('exists');
        }
        sent.push({ input, result });
      }
    }),
  );
  expect(sent.length).toBe(callers * callsPerCaller);
  return sent;
}

async function checkAppliedOnce(
  prefix: string,
  sent: Sent[],
  funded: string[],
  others: string[] = [],
): Promise<void> {
  const accounts = [...funded, ...others];
  const applied = new Set(sent.filter((s) => s.result.result === 'ok').map((s) => s.input.id));
  const { rows } = await db.pool.query<{ id: string; amount: string }>(
    `SELECT id, amount::text FROM ledger_transfers WHERE id LIKE $1 || '-t%'`,
    [prefix],
  );
  expect(rows.map((r) => r.id).sort()).toEqual([...applied].sort());
  // Every account's totals equal the sum of the transfers that were acknowledged as applied.
  const expected = new Map(accounts.map((id) => [id, funded.includes(id) ? funding : 0n]));
  for (const s of sent) {
    if (s.result.result !== 'ok') continue;
    const amount = s.input.amount as bigint;
    expected.set(
      s.input.debitAccountId as string,
      (expected.get(s.input.debitAccountId as string) ?? 0n) - amount,
    );
    expected.set(
      s.input.creditAccountId as string,
      (expected.get(s.input.creditAccountId as string) ?? 0n) + amount,
    );
  }
  const stored = await ledgers[0].getAccounts(accounts);
  for (const id of accounts) {
    const a = stored.get(id);
    expect([id, (a?.creditsPosted ?? 0n) - (a?.debitsPosted ?? 0n)]).toEqual([id, expected.get(id)]);
    if (a?.flags.debitsMustNotExceedCredits)
      expect(a.debitsPosted + a.debitsPending <= a.creditsPosted).toBe(true);
  }
  expect(await ledgers[0].verify()).toEqual([]);
}

describe('concurrency on real PostgreSQL', () => {
  it('64 callers moving random amounts among 100 wallets apply each id once and never overdraw', async () => {
    const prefix = 'rnd';
    const accounts = await wallets(prefix, 100);
    let seq = 0;
    const sent = await hammer(() => {
      const debit = accounts[Math.floor(Math.random() * accounts.length)] as string;
      let credit = accounts[Math.floor(Math.random() * accounts.length)] as string;
      while (credit === debit) credit = accounts[Math.floor(Math.random() * accounts.length)] as string;
      // Amounts big enough that some wallets run dry and transfers are refused.
      return {
        id: `${prefix}-t${seq++}`,
        debitAccountId: debit,
        creditAccountId: credit,
        amount: BigInt(1 + Math.floor(Math.random() * 400)),
        currency: 'ETB',
        code: 'p2p',
      };
    });
    const results = new Set(sent.map((s) => s.result.result));
    expect(results).toContain('ok');
    expect(results).toContain('exists');
    expect(results).toContain('exceeds_credits');
    // The two engines did race: some batches lost a compare-and-set and were retried under locks.
    expect(retriedBatches).toBeGreaterThan(0);
    await checkAppliedOnce(prefix, sent, accounts);
  });

  it('64 callers all crediting one hot account apply each id once', async () => {
    const prefix = 'hot';
    const accounts = await wallets(prefix, 64);
    const hot = `${prefix}-merchant`;
    await ledgers[0].createAccounts([{ id: hot, currency: 'ETB', kind: 'merchant' }]);
    let seq = 0;
    const sent = await hammer((caller) => ({
      id: `${prefix}-t${seq++}`,
      debitAccountId: accounts[caller] as string,
      creditAccountId: hot,
      amount: BigInt(1 + Math.floor(Math.random() * 40)),
      currency: 'ETB',
      code: 'payment',
    }));
    expect(new Set(sent.map((s) => s.result.result))).toContain('exists');
    await checkAppliedOnce(prefix, sent, accounts, [hot]);
    const merchant = await ledgers[0].getAccount(hot);
    const paid = sent
      .filter((s) => s.result.result === 'ok')
      .reduce((sum, s) => sum + (s.input.amount as bigint), 0n);
    expect(merchant?.creditsPosted).toBe(paid);
  });

  it('two processes racing to post and void the same holds resolve each exactly once', async () => {
    const prefix = 'race';
    const accounts = await wallets(prefix, 10);
    const holds = accounts.flatMap((id, i) =>
      Array.from({ length: 5 }, (_, k) => ({
        id: `${prefix}-hold${i}-${k}`,
        debitAccountId: id,
        creditAccountId: `${prefix}-src`,
        amount: 100n,
        currency: 'ETB',
        code: 'hold',
        flags: { pending: true },
      })),
    );
    expect((await ledgers[0].createTransfers(holds)).every((r) => r.result === 'ok')).toBe(true);
    const attempts = holds.flatMap((h) =>
      [0, 1, 2, 3].map((n) => ({
        id: `${h.id}-r${n}`,
        pendingId: h.id,
        flags: n % 2 ? { voidPending: true } : { postPending: true },
      })),
    );
    const results = await Promise.all(
      attempts.map((a, n) => (ledgers[n % 2] as Ledger).createTransfers([a])),
    );
    const winners = results.flat().filter((r) => r.result === 'ok');
    expect(winners.length).toBe(holds.length);
    expect(
      results
        .flat()
        .every((r) =>
          ['ok', 'pending_transfer_already_posted', 'pending_transfer_already_voided'].includes(r.result),
        ),
    ).toBe(true);
    expect(await ledgers[0].verify()).toEqual([]);
    const stored = await ledgers[0].getAccounts(accounts);
    for (const a of stored.values()) expect(a.debitsPending).toBe(0n);
  });
});
