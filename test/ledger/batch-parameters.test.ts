/**
 * A ledger batch lets go of its statement's parameters (the batch's JSON) as soon as the statement
 * has answered, committed or failed: pg's finished statement holds them and outlives the batch in
 * V8's young generation, which promoted every batch's JSON to the old one (see writeBatch in
 * src/ledger/store.ts). What is checked here is the mechanism: the array handed to pg is empty after
 * the answer, and the money moved all the same.
 */
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newId } from '../../src/shared/ids.ts';
import { fundedWallets, twoLedgers } from '../helpers/database.ts';

const { db, a } = await twoLedgers();

interface Sent {
  readonly name: string;
  readonly values: unknown[];
  readonly count: number;
}

/** Every ledger write pg is given from now on, with how many parameters it had when given. */
function watchWrites(): Sent[] {
  const sent: Sent[] = [];
  const query = pg.Client.prototype.query;
  vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as { name?: string; values?: unknown[] } | undefined;
    if (config?.name?.startsWith('ledger_write_batch') && Array.isArray(config.values)) {
      sent.push({ name: config.name, values: config.values, count: config.values.length });
    }
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query);
  return sent;
}

afterEach(() => {
  vi.restoreAllMocks();
});

function transfer(from: string, to: string, amount: bigint) {
  return {
    id: newId('txf'),
    debitAccountId: from,
    creditAccountId: to,
    amount,
    currency: 'ETB',
    code: 'p2p',
  };
}

describe("a ledger batch's parameters", () => {
  it('are let go once the statement has committed', async () => {
    const { wallet, other } = await fundedWallets(a, 1_000n);
    const sent = watchWrites();
    const [result] = await a.createTransfers([transfer(wallet, other, 100n)]);
    expect(result?.result).toBe('ok');
    expect(sent.length).toBeGreaterThan(0);
    for (const write of sent) {
      expect(write.count).toBeGreaterThanOrEqual(2); // the transfers' and the totals' JSON
      expect(write.values).toEqual([]);
    }
    const { rows } = await db.pool.query('SELECT id FROM ledger_transfers WHERE debit_account_id = $1', [
      wallet,
    ]);
    expect(rows).toHaveLength(1);
  });

  it('are let go when the statement fails, and the retry sends its own', async () => {
    await db.pool.query(`CREATE OR REPLACE FUNCTION side_fails(entries jsonb) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'side table refuses'; END $$`);
    const { wallet, other } = await fundedWallets(a, 1_000n);
    const sent = watchWrites();
    const alongside = {
      fn: 'side_fails',
      written: false,
      row: () => ['a row'],
    };
    const [result] = await a.createTransfers([transfer(wallet, other, 100n)], { alongside });
    // The side table's failure costs only its row: the batch goes again without it.
    expect(result?.result).toBe('ok');
    expect(alongside.written).toBe(false);
    expect(sent.map((w) => w.count)).toEqual([3, 2]);
    for (const write of sent) expect(write.values).toEqual([]);
  });
});
