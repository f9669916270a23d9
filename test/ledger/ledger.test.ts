import { beforeAll, describe, expect, it } from 'vitest';
import { availableBalance, type Ledger, type TransferInput } from '../../src/ledger/index.ts';
import { newId } from '../../src/shared/ids.ts';
import { freshDatabase, type TestDatabase, testLedger } from '../helpers/database.ts';

let db: TestDatabase;
let ledger: Ledger;

beforeAll(async () => {
  db = await freshDatabase();
  ledger = testLedger(db.pool);
});

/** A funded wallet (debits may not exceed credits) and the system account it was funded from. */
async function setup(currency = 'ETB', funding = 10_000n) {
  const wallet = newId('wal');
  const other = newId('wal');
  const system = newId('sys');
  const results = await ledger.createAccounts([
    { id: wallet, currency, kind: 'wallet', flags: { debitsMustNotExceedCredits: true } },
    { id: other, currency, kind: 'wallet', flags: { debitsMustNotExceedCredits: true } },
    { id: system, currency, kind: 'provider_clearing' },
  ]);
  expect(results.map((r) => r.result)).toEqual(['ok', 'ok', 'ok']);
  if (funding > 0n) {
    const [fund] = await ledger.createTransfers([
      {
        id: newId('txf'),
        debitAccountId: system,
        creditAccountId: wallet,
        amount: funding,
        currency,
        code: 'deposit',
      },
    ]);
    expect(fund?.result).toBe('ok');
  }
  return { wallet, other, system, currency };
}

async function one(input: TransferInput) {
  const [result] = await ledger.createTransfers([input]);
  return result?.result;
}

async function available(id: string) {
  const account = await ledger.getAccount(id);
  if (!account) throw new Error(`no account ${id}`);
  return availableBalance(account);
}

describe('accounts', () => {
  it('creates idempotently and names the differing field', async () => {
    const id = newId('acc');
    const input = {
      id,
      currency: 'KES',
      kind: 'wallet' as const,
      ownerId: 'usr_1',
      metadata: { a: 1, b: [2] },
    };
    expect((await ledger.createAccounts([input]))[0]?.result).toBe('ok');
    expect((await ledger.createAccounts([{ ...input, metadata: { b: [2], a: 1 } }]))[0]?.result).toBe(
      'exists',
    );
    const differ = await ledger.createAccounts([
      { ...input, currency: 'ETB' },
      { ...input, kind: 'merchant' },
      { ...input, ownerId: 'usr_2' },
      { ...input, flags: { debitsMustNotExceedCredits: true } },
      { ...input, metadata: { a: 2 } },
    ]);
    expect(differ.map((r) => r.result)).toEqual([
      'exists_with_different_currency',
      'exists_with_different_kind',
      'exists_with_different_owner_id',
      'exists_with_different_flags',
      'exists_with_different_metadata',
    ]);
  });

  it('rejects bad accounts and creates none of them', async () => {
    const bad = await ledger.createAccounts([
      { id: 'has space', currency: 'ETB', kind: 'wallet' },
      { id: newId('acc'), currency: 'XYZ', kind: 'wallet' },
      { id: newId('acc'), currency: 'ETB', kind: 'piggy_bank' as 'wallet' },
      {
        id: newId('acc'),
        currency: 'ETB',
        kind: 'wallet',
        flags: { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: true },
      },
      { id: newId('acc'), currency: 'ETB', kind: 'wallet', metadata: { big: 'x'.repeat(5000) } },
    ]);
    expect(bad.map((r) => r.result)).toEqual([
      'id_invalid',
      'currency_unknown',
      'kind_invalid',
      'flags_are_mutually_exclusive',
      'metadata_invalid',
    ]);
    const ids = bad.map((r) => r.id);
    expect((await ledger.getAccounts(ids)).size).toBe(0);
  });
});

describe('transfers', () => {
  it('moves money and answers a retry with exists and the original transfer', async () => {
    const { wallet, other, currency } = await setup();
    const input = {
      id: newId('txf'),
      debitAccountId: wallet,
      creditAccountId: other,
      amount: 2_500n,
      currency,
      code: 'p2p',
    };
    const [first] = await ledger.createTransfers([input]);
    const [again] = await ledger.createTransfers([{ ...input }]);
    expect(first?.result).toBe('ok');
    expect(again?.result).toBe('exists');
    expect(again?.transfer?.createdAt).toEqual(first?.transfer?.createdAt);
    expect(await available(wallet)).toBe(7_500n);
    expect(await available(other)).toBe(2_500n);
  });

  it('names the field that differs on a reused id, and changes nothing', async () => {
    const { wallet, other, system, currency } = await setup();
    const base = {
      id: newId('txf'),
      debitAccountId: wallet,
      creditAccountId: other,
      amount: 100n,
      currency,
      code: 'p2p',
    };
    expect(await one(base)).toBe('ok');
    const cases: [Partial<TransferInput>, string][] = [
      [{ amount: 101n }, 'exists_with_different_amount'],
      [{ creditAccountId: system }, 'exists_with_different_credit_account_id'],
      [{ debitAccountId: system, creditAccountId: other }, 'exists_with_different_debit_account_id'],
      [{ code: 'fee' }, 'exists_with_different_code'],
      [{ metadata: { note: 'x' } }, 'exists_with_different_metadata'],
      [{ flags: { pending: true } }, 'exists_with_different_flags'],
    ];
    for (const [change, code] of cases) expect(await one({ ...base, ...change })).toBe(code);
    expect(await available(wallet)).toBe(9_900n);
  });

  it('rejects malformed transfers with specific codes', async () => {
    const { wallet, other, currency } = await setup();
    const ok = {
      id: newId('txf'),
      debitAccountId: wallet,
      creditAccountId: other,
      amount: 1n,
      currency,
      code: 'p2p',
    };
    const cases: [TransferInput, string][] = [
      [{ ...ok, id: 'bad id!' }, 'id_invalid'],
      [{ ...ok, id: 'expire:x' }, 'id_invalid'],
      [{ ...ok, flags: { pending: true, voidPending: true } }, 'flags_are_mutually_exclusive'],
      [{ ...ok, flags: { postPending: true } }, 'pending_id_required'],
      [{ ...ok, pendingId: 'x' }, 'pending_id_must_be_absent'],
      [{ ...ok, timeoutSeconds: 5 }, 'timeout_reserved_for_pending_transfer'],
      [{ ...ok, flags: { pending: true }, timeoutSeconds: 0 }, 'timeout_invalid'],
      [{ ...ok, code: 'Not A Code' }, 'code_invalid'],
      [{ ...ok, debitAccountId: undefined }, 'debit_account_id_required'],
      [{ ...ok, creditAccountId: undefined }, 'credit_account_id_required'],
      [{ ...ok, creditAccountId: wallet }, 'accounts_must_differ'],
      [{ ...ok, amount: 0n }, 'amount_must_be_positive'],
      [{ ...ok, amount: -5n }, 'amount_must_be_positive'],
      [{ ...ok, amount: 10n ** 38n }, 'amount_too_large'],
      [{ ...ok, currency: undefined }, 'currency_required'],
      [{ ...ok, debitAccountId: 'nope' }, 'debit_account_not_found'],
      [{ ...ok, creditAccountId: 'nope' }, 'credit_account_not_found'],
      [{ ...ok, currency: 'KES' }, 'currency_mismatch'],
      [{ ...ok, amount: 10_001n }, 'exceeds_credits'],
    ];
    for (const [input, code] of cases) expect([input.id, await one(input)]).toEqual([input.id, code]);
    expect(await available(wallet)).toBe(10_000n);
  });

  it('enforces credits_must_not_exceed_debits', async () => {
    const debitOnly = newId('acc');
    const source = newId('acc');
    await ledger.createAccounts([
      { id: debitOnly, currency: 'USD', kind: 'operating', flags: { creditsMustNotExceedDebits: true } },
      { id: source, currency: 'USD', kind: 'operating' },
    ]);
    const t = { debitAccountId: source, creditAccountId: debitOnly, currency: 'USD', code: 'test' };
    expect(await one({ ...t, id: newId('txf'), amount: 1n })).toBe('exceeds_debits');
    expect(
      await one({
        id: newId('txf'),
        debitAccountId: debitOnly,
        creditAccountId: source,
        amount: 5n,
        currency: 'USD',
        code: 'test',
      }),
    ).toBe('ok');
    expect(await one({ ...t, id: newId('txf'), amount: 5n })).toBe('ok');
    expect(await one({ ...t, id: newId('txf'), amount: 1n })).toBe('exceeds_debits');
  });

  it('keeps a failed transfer from failing its unlinked neighbours', async () => {
    const { wallet, other, currency } = await setup();
    const t = { debitAccountId: wallet, creditAccountId: other, currency, code: 'p2p' };
    const results = await ledger.createTransfers([
      { ...t, id: newId('txf'), amount: 6_000n },
      { ...t, id: newId('txf'), amount: 6_000n },
      { ...t, id: newId('txf'), amount: 4_000n },
    ]);
    expect(results.map((r) => r.result)).toEqual(['ok', 'exceeds_credits', 'ok']);
    expect(await available(wallet)).toBe(0n);
  });

  it('applies the same id twice in one call once', async () => {
    const { wallet, other, currency } = await setup();
    const t = {
      id: newId('txf'),
      debitAccountId: wallet,
      creditAccountId: other,
      amount: 10n,
      currency,
      code: 'p2p',
    };
    const results = await ledger.createTransfers([t, t]);
    expect(results.map((r) => r.result)).toEqual(['ok', 'exists']);
    expect(await available(other)).toBe(10n);
  });
});

describe('linked chains', () => {
  it('commits a chain as one, or fails every member and changes nothing', async () => {
    const { wallet, other, system, currency } = await setup();
    const fees = newId('fee');
    await ledger.createAccounts([{ id: fees, currency, kind: 'fees' }]);
    const pay = { debitAccountId: wallet, creditAccountId: other, currency, code: 'p2p' };
    const fee = { debitAccountId: wallet, creditAccountId: fees, currency, code: 'fee' };
    const good = await ledger.createTransfers([
      { ...pay, id: newId('txf'), amount: 5_000n, flags: { linked: true } },
      { ...fee, id: newId('txf'), amount: 50n },
    ]);
    expect(good.map((r) => r.result)).toEqual(['ok', 'ok']);
    const bad = await ledger.createTransfers([
      { ...pay, id: newId('txf'), amount: 4_900n, flags: { linked: true } },
      { ...fee, id: newId('txf'), amount: 51n, flags: { linked: true } },
      { id: newId('txf'), debitAccountId: system, creditAccountId: wallet, amount: 1n, currency, code: 'x' },
      { ...pay, id: newId('txf'), amount: 1n },
    ]);
    expect(bad.map((r) => r.result)).toEqual([
      'linked_event_failed',
      'exceeds_credits',
      'linked_event_failed',
      'ok',
    ]);
    expect(await available(wallet)).toBe(10_000n - 5_050n - 1n);
    expect(await ledger.getTransfer(bad[0]!.id)).toBeUndefined();
  });

  it('rejects a chain left open at the end of a call', async () => {
    const { wallet, other, currency } = await setup();
    const t = { debitAccountId: wallet, creditAccountId: other, currency, code: 'p2p', amount: 1n };
    const results = await ledger.createTransfers([
      { ...t, id: newId('txf') },
      { ...t, id: newId('txf'), flags: { linked: true } },
      { ...t, id: newId('txf'), flags: { linked: true } },
    ]);
    expect(results.map((r) => r.result)).toEqual(['ok', 'linked_event_failed', 'linked_event_chain_open']);
  });

  it('answers a retried committed chain with exists for every member', async () => {
    const { wallet, other, currency } = await setup();
    const t = { debitAccountId: wallet, creditAccountId: other, currency, code: 'p2p', amount: 1n };
    const chain = [
      { ...t, id: newId('txf'), flags: { linked: true } },
      { ...t, id: newId('txf') },
    ];
    expect((await ledger.createTransfers(chain)).map((r) => r.result)).toEqual(['ok', 'ok']);
    expect((await ledger.createTransfers(chain)).map((r) => r.result)).toEqual(['exists', 'exists']);
    expect(await available(other)).toBe(2n);
  });
});

describe('pending transfers', () => {
  it('holds, then posts part and releases the rest, once', async () => {
    const { wallet, system, currency } = await setup();
    const hold = {
      id: newId('txf'),
      debitAccountId: wallet,
      creditAccountId: system,
      amount: 4_000n,
      currency,
      code: 'withdrawal',
      flags: { pending: true },
    };
    expect(await one(hold)).toBe('ok');
    const held = await ledger.getAccount(wallet);
    expect(held?.debitsPending).toBe(4_000n);
    expect(availableBalance(held!)).toBe(6_000n);
    const post = { id: newId('txf'), pendingId: hold.id, amount: 3_000n, flags: { postPending: true } };
    expect(await one(post)).toBe('ok');
    expect(await one(post)).toBe('exists');
    expect(await one({ ...post, amount: 2_000n })).toBe('exists_with_different_amount');
    expect(await one({ ...post, id: newId('txf') })).toBe('pending_transfer_already_posted');
    expect(await one({ id: newId('txf'), pendingId: hold.id, flags: { voidPending: true } })).toBe(
      'pending_transfer_already_posted',
    );
    const after = await ledger.getAccount(wallet);
    expect([after?.debitsPending, after?.debitsPosted, availableBalance(after!)]).toEqual([
      0n,
      3_000n,
      7_000n,
    ]);
    expect((await ledger.getTransfer(post.id))?.code).toBe('withdrawal');
  });

  it('voids a hold, and refuses resolutions that do not match it', async () => {
    const { wallet, other, system, currency } = await setup();
    const hold = {
      id: newId('txf'),
      debitAccountId: wallet,
      creditAccountId: system,
      amount: 1_000n,
      currency,
      code: 'withdrawal',
      flags: { pending: true },
    };
    expect(await one(hold)).toBe('ok');
    const r = (extra: Partial<TransferInput>) =>
      one({ id: newId('txf'), pendingId: hold.id, flags: { postPending: true }, ...extra });
    expect(await r({ amount: 1_001n })).toBe('exceeds_pending_transfer_amount');
    expect(await r({ debitAccountId: other })).toBe('pending_transfer_has_different_debit_account_id');
    expect(await r({ creditAccountId: other })).toBe('pending_transfer_has_different_credit_account_id');
    expect(await r({ currency: 'KES' })).toBe('pending_transfer_has_different_currency');
    expect(await r({ pendingId: 'nope' })).toBe('pending_transfer_not_found');
    expect(await r({ flags: { voidPending: true }, amount: 5n })).toBe(
      'pending_transfer_has_different_amount',
    );
    const plain = {
      id: newId('txf'),
      debitAccountId: wallet,
      creditAccountId: other,
      amount: 1n,
      currency,
      code: 'p2p',
    };
    expect(await one(plain)).toBe('ok');
    expect(await r({ pendingId: plain.id })).toBe('pending_transfer_not_pending');
    expect(await one({ id: newId('txf'), pendingId: hold.id, flags: { voidPending: true } })).toBe('ok');
    expect(await r({})).toBe('pending_transfer_already_voided');
    expect(await available(wallet)).toBe(9_999n);
  });

  it('counts holds against the balance', async () => {
    const { wallet, system, currency } = await setup();
    const t = {
      debitAccountId: wallet,
      creditAccountId: system,
      currency,
      code: 'withdrawal',
      flags: { pending: true },
    };
    expect(await one({ ...t, id: newId('txf'), amount: 8_000n })).toBe('ok');
    expect(await one({ ...t, id: newId('txf'), amount: 2_001n })).toBe('exceeds_credits');
  });

  it('resolves a hold created earlier in the same batch', async () => {
    const { wallet, system, currency } = await setup();
    const hold = {
      id: newId('txf'),
      debitAccountId: wallet,
      creditAccountId: system,
      amount: 10n,
      currency,
      code: 'x',
      flags: { pending: true },
    };
    const results = await ledger.createTransfers([
      hold,
      { id: newId('txf'), pendingId: hold.id, flags: { postPending: true } },
    ]);
    expect(results.map((r) => r.result)).toEqual(['ok', 'ok']);
    expect(await available(wallet)).toBe(9_990n);
  });

  it('expires a hold after its timeout: the engine voids it and a later post is refused', async () => {
    const { wallet, system, currency } = await setup();
    const hold = {
      id: newId('txf'),
      debitAccountId: wallet,
      creditAccountId: system,
      amount: 500n,
      currency,
      code: 'x',
      flags: { pending: true },
      timeoutSeconds: 1,
    };
    expect(await one(hold)).toBe('ok');
    expect(await available(wallet)).toBe(9_500n);
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await one({ id: newId('txf'), pendingId: hold.id, flags: { postPending: true } })).toBe(
      'pending_transfer_expired',
    );
    expect(await ledger.expirePending()).toBeGreaterThanOrEqual(1);
    expect(await available(wallet)).toBe(10_000n);
    expect((await ledger.getTransfer(`expire:${hold.id}`))?.kind).toBe('void_pending');
    expect(await ledger.expirePending()).toBe(0);
  });
});

describe('the expiry sweeper', () => {
  it('voids expired holds on its own once started', async () => {
    const swept = testLedger(db.pool, { expiryIntervalMs: 100 });
    swept.start();
    const { wallet, system, currency } = await setup();
    const hold = {
      id: newId('txf'),
      debitAccountId: wallet,
      creditAccountId: system,
      amount: 700n,
      currency,
      code: 'x',
      flags: { pending: true },
      timeoutSeconds: 1,
    };
    expect((await swept.createTransfers([hold]))[0]?.result).toBe('ok');
    expect(await available(wallet)).toBe(9_300n);
    const deadline = Date.now() + 5_000;
    while ((await available(wallet)) !== 10_000n && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(await available(wallet)).toBe(10_000n);
    expect((await ledger.getTransfer(`expire:${hold.id}`))?.code).toBe('expired');
    await swept.close();
  });
});

describe('reversals', () => {
  it('posts the mirror transfer once, and refuses pending ones', async () => {
    const { wallet, other, currency } = await setup();
    const t = {
      id: newId('txf'),
      debitAccountId: wallet,
      creditAccountId: other,
      amount: 700n,
      currency,
      code: 'p2p',
    };
    expect(await one(t)).toBe('ok');
    const rev = { id: newId('txf'), transferId: t.id, metadata: { reason: 'dispute' } };
    expect((await ledger.reverse(rev)).result).toBe('ok');
    expect((await ledger.reverse(rev)).result).toBe('exists');
    expect((await ledger.reverse({ ...rev, id: newId('txf') })).result).toBe('transfer_already_reversed');
    expect([await available(wallet), await available(other)]).toEqual([10_000n, 0n]);
    const stored = await ledger.getTransfer(rev.id);
    expect(stored).toMatchObject({
      debitAccountId: other,
      creditAccountId: wallet,
      code: 'reversal',
      reversesId: t.id,
    });
    const hold = { ...t, id: newId('txf'), flags: { pending: true } };
    expect(await one(hold)).toBe('ok');
    await expect(ledger.reverse({ id: newId('txf'), transferId: hold.id })).rejects.toMatchObject({
      code: 'ledger_transfer_not_reversible',
    });
    await expect(ledger.reverse({ id: newId('txf'), transferId: 'nope' })).rejects.toMatchObject({
      code: 'ledger_transfer_not_found',
    });
  });

  it('refuses to reverse into a balance that is no longer there', async () => {
    const { wallet, other, system, currency } = await setup();
    const t = {
      id: newId('txf'),
      debitAccountId: wallet,
      creditAccountId: other,
      amount: 700n,
      currency,
      code: 'p2p',
    };
    expect(await one(t)).toBe('ok');
    expect(
      await one({
        id: newId('txf'),
        debitAccountId: other,
        creditAccountId: system,
        amount: 700n,
        currency,
        code: 'out',
      }),
    ).toBe('ok');
    expect((await ledger.reverse({ id: newId('txf'), transferId: t.id })).result).toBe('exceeds_credits');
  });
});

describe('immutability and history', () => {
  it('refuses to update or delete a transfer', async () => {
    const { wallet, other, currency } = await setup();
    const id = newId('txf');
    expect(
      await one({ id, debitAccountId: wallet, creditAccountId: other, amount: 1n, currency, code: 'p2p' }),
    ).toBe('ok');
    await expect(db.pool.query('UPDATE ledger_transfers SET amount = 2 WHERE id = $1', [id])).rejects.toThrow(
      /immutable/,
    );
    await expect(db.pool.query('DELETE FROM ledger_transfers WHERE id = $1', [id])).rejects.toThrow(
      /immutable/,
    );
  });

  it('reports an account balance as of a past moment', async () => {
    const { wallet, other, system, currency } = await setup('USD', 0n);
    const step = async (input: Omit<TransferInput, 'id' | 'currency'>) => {
      const [r] = await ledger.createTransfers([{ id: newId('txf'), currency, ...input }]);
      expect(r?.result).toBe('ok');
      await new Promise((resolve) => setTimeout(resolve, 15));
      return r!.transfer!;
    };
    const t1 = await step({
      debitAccountId: system,
      creditAccountId: wallet,
      amount: 1_000n,
      code: 'deposit',
    });
    const hold = await step({
      debitAccountId: wallet,
      creditAccountId: other,
      amount: 300n,
      code: 'x',
      flags: { pending: true },
    });
    const t3 = await step({ pendingId: hold.id, amount: 200n, flags: { postPending: true } });
    expect(await ledger.balancesAt(wallet, new Date(t1.createdAt.getTime() - 1))).toEqual({
      debitsPosted: 0n,
      creditsPosted: 0n,
      debitsPending: 0n,
      creditsPending: 0n,
    });
    expect(await ledger.balancesAt(wallet, t1.createdAt)).toEqual({
      debitsPosted: 0n,
      creditsPosted: 1_000n,
      debitsPending: 0n,
      creditsPending: 0n,
    });
    expect(await ledger.balancesAt(wallet, hold.createdAt)).toEqual({
      debitsPosted: 0n,
      creditsPosted: 1_000n,
      debitsPending: 300n,
      creditsPending: 0n,
    });
    expect(await ledger.balancesAt(wallet, t3.createdAt)).toEqual({
      debitsPosted: 200n,
      creditsPosted: 1_000n,
      debitsPending: 0n,
      creditsPending: 0n,
    });
    expect(await ledger.balancesAt(other, t3.createdAt)).toEqual({
      debitsPosted: 0n,
      creditsPosted: 200n,
      debitsPending: 0n,
      creditsPending: 0n,
    });
  });
});

describe('the engine', () => {
  it('refuses a call larger than a batch and an overfull queue, changing nothing', async () => {
    const small = testLedger(db.pool, { batchTransfersMax: 2, queueTransfersMax: 3 });
    const { wallet, other, currency } = await setup();
    const t = () => ({
      id: newId('txf'),
      debitAccountId: wallet,
      creditAccountId: other,
      amount: 1n,
      currency,
      code: 'p2p',
    });
    await expect(small.createTransfers([t(), t(), t()])).rejects.toMatchObject({
      code: 'ledger_batch_too_large',
    });
    const accepted = [small.createTransfers([t(), t()])];
    await expect(small.createTransfers([t(), t()])).rejects.toMatchObject({ code: 'ledger_overloaded' });
    await Promise.all(accepted);
    expect(await available(other)).toBe(2n);
  });

  it('verifies the ledger clean after everything above', async () => {
    expect(await ledger.verify()).toEqual([]);
  });
});

describe('ledger verify', () => {
  it('names each broken invariant and the account or transfer behind it', async () => {
    const broken = await freshDatabase(2);
    const bad = testLedger(broken.pool);
    await bad.createAccounts([
      { id: 'v-a', currency: 'ETB', kind: 'wallet', flags: { debitsMustNotExceedCredits: true } },
      { id: 'v-b', currency: 'ETB', kind: 'wallet' },
      { id: 'v-k', currency: 'KES', kind: 'wallet' },
    ]);
    expect(await bad.verify()).toEqual([]);
    await bad.createTransfers([
      { id: 'v-t1', debitAccountId: 'v-b', creditAccountId: 'v-a', amount: 10n, currency: 'ETB', code: 'x' },
    ]);
    expect(await bad.verify()).toEqual([]);
    // Corruptions the engine can't produce, written behind its back:
    await broken.pool.query(
      `UPDATE ledger_accounts SET credits_posted = credits_posted + 5 WHERE id = 'v-a'`,
    );
    await broken.pool.query(
      `INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, currency, code, kind, created_at)
       VALUES ('v-orphan', 'v-b', 'v-ghost', 1, 'ETB', 'x', 'posted', now()),
              ('v-cross', 'v-b', 'v-k', 1, 'ETB', 'x', 'posted', now())`,
    );
    const found = (await bad.verify()).map((v) => [v.check, v.accountId ?? v.currency ?? v.transferId]);
    expect(found).toEqual(
      expect.arrayContaining([
        ['transfer_accounts_exist', 'v-ghost'],
        ['currency_totals_balance', 'ETB'],
        ['account_totals_match_transfers', 'v-a'],
        ['transfer_currency_matches_accounts', 'v-k'],
      ]),
    );
  });
});
