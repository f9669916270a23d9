import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Ledger, TransferInput } from '../../src/ledger/index.ts';
import { freshDatabase, testLedger } from '../helpers/database.ts';
import { LedgerModel } from './model.ts';

let ledger: Ledger;
let run = 0;
const seen = new Map<string, number>();

beforeAll(async () => {
  const db = await freshDatabase();
  ledger = testLedger(db.pool);
});

// Account slots per run: two wallets that may not go negative, one account that may not hold a
// credit balance, one unrestricted source, and one in another currency (for currency_mismatch).
const slots = [
  { key: 'w1', currency: 'ETB', flags: { debitsMustNotExceedCredits: true }, model: { dmnec: true } },
  { key: 'w2', currency: 'ETB', flags: { debitsMustNotExceedCredits: true }, model: { dmnec: true } },
  { key: 'cr', currency: 'ETB', flags: { creditsMustNotExceedDebits: true }, model: { cmned: true } },
  { key: 'src', currency: 'ETB', flags: {}, model: {} },
  { key: 'kes', currency: 'KES', flags: {}, model: {} },
] as const;

type Kind = 'posted' | 'pending' | 'post' | 'void' | 'bad_flags';

interface TransferSpec {
  idSlot: number | -1;
  kind: Kind;
  debit: number;
  credit: number;
  amount: number | null;
  pendingSlot: number;
  linked: boolean;
  code: 'a' | 'b';
  note: 0 | 1 | null;
  withCurrency: boolean;
}

const transferSpec: fc.Arbitrary<TransferSpec> = fc.record({
  // Mostly fresh ids; sometimes one used before (exists, exists_with_different_*).
  idSlot: fc.option(fc.nat(12), { freq: 3, nil: -1 }),
  kind: fc.constantFrom<Kind>(
    'posted',
    'posted',
    'posted',
    'pending',
    'pending',
    'pending',
    'post',
    'post',
    'void',
    'void',
    'bad_flags',
  ),
  // Mostly the ETB accounts; sometimes KES (currency_mismatch) or slots.length, an account that does not exist.
  debit: fc.oneof(
    { weight: 4, arbitrary: fc.constant(3) },
    { weight: 8, arbitrary: fc.nat(3) },
    { weight: 1, arbitrary: fc.integer({ min: 4, max: slots.length }) },
  ),
  credit: fc.oneof(
    { weight: 8, arbitrary: fc.nat(3) },
    { weight: 1, arbitrary: fc.integer({ min: 4, max: slots.length }) },
  ),
  amount: fc.option(fc.integer({ min: 0, max: 120 }), { freq: 8 }),
  // Resolutions name a recent id, counted back from the newest.
  pendingSlot: fc.nat(4),
  linked: fc.nat(7).map((n) => n === 0),
  code: fc.constantFrom('a', 'b'),
  note: fc.constantFrom(0, 1, null),
  withCurrency: fc.boolean(),
});

// A call is new transfers, or a verbatim retry of an earlier call (what a client does after a timeout).
// Or a resolution of one of the pending transfers that really exist (so already_posted/voided happen).
const callSpec = fc.oneof(
  { weight: 4, arbitrary: fc.array(transferSpec, { minLength: 1, maxLength: 4 }) },
  { weight: 1, arbitrary: fc.nat(30).map((retry) => ({ retry })) },
  {
    weight: 1,
    arbitrary: fc.record({
      resolve: fc.nat(3),
      post: fc.boolean(),
      amount: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 120 }), fc.constantFrom('all', 'over')),
    }),
  },
  // Or a transfer of exactly a wallet's available balance, or one unit more: the boundary cases.
  { weight: 1, arbitrary: fc.record({ drain: fc.nat(1), over: fc.boolean(), pending: fc.boolean() }) },
);

function toInput(
  spec: TransferSpec,
  accountId: (slot: number) => string,
  ids: { fresh(): string; used: string[] },
): TransferInput {
  const used = ids.used;
  const pendingId = used[used.length - 1 - (spec.pendingSlot % Math.max(1, used.length))] ?? 'none';
  const id = spec.idSlot >= 0 && used.length > 0 ? (used[spec.idSlot % used.length] as string) : ids.fresh();
  // A void usually names no amount (it releases the hold); sometimes a wrong one.
  const omitted = spec.amount === null || (spec.kind === 'void' && spec.amount % 3 !== 0);
  const amount = omitted ? undefined : BigInt(spec.amount as number);
  const metadata = spec.note === null ? undefined : { note: spec.note };
  const linked = spec.linked ? { linked: true } : {};
  if (spec.kind === 'post' || spec.kind === 'void') {
    const flags = spec.kind === 'post' ? { postPending: true, ...linked } : { voidPending: true, ...linked };
    return {
      id,
      pendingId,
      flags,
      ...(amount !== undefined ? { amount } : {}),
      ...(metadata ? { metadata } : {}),
    };
  }
  const flags =
    spec.kind === 'pending'
      ? { pending: true, ...linked }
      : spec.kind === 'bad_flags'
        ? { pending: true, postPending: true }
        : linked;
  const debit = accountId(spec.debit);
  return {
    id,
    debitAccountId: debit,
    creditAccountId: accountId(spec.credit),
    ...(amount !== undefined ? { amount } : {}),
    currency: spec.withCurrency || spec.debit !== 4 ? 'ETB' : 'KES',
    code: spec.code,
    flags,
    ...(metadata ? { metadata } : {}),
  };
}

describe('the ledger against an in-memory model', () => {
  it('agrees on every result and every balance for random call sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(callSpec, { minLength: 1, maxLength: 30 }), async (calls) => {
        run++;
        const prefix = `m${Date.now().toString(36)}${run}`;
        const accountId = (slot: number) => `${prefix}-${slots[slot]?.key ?? 'missing'}`;
        let counter = 0;
        const ids = {
          used: [] as string[],
          fresh() {
            const id = `${prefix}_t${counter++}`;
            this.used.push(id);
            return id;
          },
        };
        const model = new LedgerModel();
        await ledger.createAccounts(
          slots.map((s) => ({
            id: accountId(slots.indexOf(s)),
            currency: s.currency,
            kind: 'operating' as const,
            flags: s.flags,
          })),
        );
        for (const [i, s] of slots.entries()) model.addAccount(accountId(i), s.currency, s.model);
        // Fund the wallets so that transfers both succeed and fail on balance.
        const funding: TransferInput[] = [0, 1].map((slot) => ({
          id: `${prefix}_fund${slot}`,
          debitAccountId: accountId(3),
          creditAccountId: accountId(slot),
          amount: 150n,
          currency: 'ETB',
          code: 'fund',
        }));
        expect((await ledger.createTransfers(funding)).map((r) => r.result)).toEqual(model.call(funding));
        const sent: TransferInput[][] = [];
        for (const call of calls) {
          let inputs: TransferInput[];
          if (Array.isArray(call)) inputs = call.map((spec) => toInput(spec, accountId, ids));
          else if ('retry' in call) inputs = sent[call.retry % Math.max(1, sent.length)] ?? [];
          else if ('drain' in call) {
            const wallet = model.accounts.get(accountId(call.drain));
            const available = wallet ? wallet.cp - wallet.dp - wallet.dpe : 0n;
            const amount = available + (call.over ? 1n : 0n);
            inputs =
              amount > 0n
                ? [
                    {
                      id: ids.fresh(),
                      debitAccountId: accountId(call.drain),
                      creditAccountId: accountId(3),
                      amount,
                      currency: 'ETB',
                      code: 'drain',
                      ...(call.pending ? { flags: { pending: true } } : {}),
                    },
                  ]
                : [];
          } else {
            const pendings = [...model.transfers.values()].filter((t) => t.kind === 'pending');
            const target = pendings[pendings.length - 1 - (call.resolve % Math.max(1, pendings.length))];
            const flags = call.post ? { postPending: true } : { voidPending: true };
            const amount =
              call.amount === null || !call.post || !target
                ? {}
                : {
                    amount:
                      call.amount === 'all'
                        ? target.amount
                        : call.amount === 'over'
                          ? target.amount + 1n
                          : BigInt(call.amount),
                  };
            inputs = target ? [{ id: ids.fresh(), pendingId: target.id, flags, ...amount }] : [];
          }
          if (inputs.length === 0) continue;
          sent.push(inputs);
          const actual = (await ledger.createTransfers(inputs)).map((r) => r.result);
          expect(actual).toEqual(model.call(inputs));
          for (const r of actual) seen.set(r, (seen.get(r) ?? 0) + 1);
        }
        const stored = await ledger.getAccounts(slots.map((_, i) => accountId(i)));
        for (const [accountKey, m] of model.accounts) {
          const a = stored.get(accountKey);
          expect([
            accountKey,
            a?.debitsPosted,
            a?.creditsPosted,
            a?.debitsPending,
            a?.creditsPending,
          ]).toEqual([accountKey, m.dp, m.cp, m.dpe, m.cpe]);
        }
      }),
      { numRuns: 150 },
    );
    expect(await ledger.verify()).toEqual([]);
    // The generators must reach the interesting cases, or agreeing proves little.
    const mustSee = [
      'ok',
      'exists',
      'exists_with_different_flags',
      'exceeds_credits',
      'exceeds_debits',
      'currency_mismatch',
      'accounts_must_differ',
      'credit_account_not_found',
      'flags_are_mutually_exclusive',
      'pending_transfer_not_found',
      'pending_transfer_not_pending',
      'pending_transfer_already_posted',
      'pending_transfer_already_voided',
      'exceeds_pending_transfer_amount',
      'linked_event_failed',
      'linked_event_chain_open',
    ];
    expect(mustSee.filter((code) => !seen.has(code))).toEqual([]);
  });
});
