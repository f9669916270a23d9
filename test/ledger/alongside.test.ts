/**
 * Rows written alongside a batch (`Alongside` in src/ledger/types.ts): a side table's row commits in
 * the statement that commits the call's transfers, made from the call's results, or not at all; a
 * side table that fails never stops the money. Two ledgers on one database stand for two processes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Alongside, TransferResult } from '../../src/ledger/index.ts';
import { newId } from '../../src/shared/ids.ts';
import { fundedWallets, twoLedgers } from '../helpers/database.ts';

const { db, a, b, batchesOfA } = await twoLedgers();

beforeAll(async () => {
  // A side table, and a function taking the rows as one jsonb array, as audit_write_rows does.
  // `side_calls` counts the function's calls: the rows of one batch go in one.
  await db.pool.query(`
    CREATE TABLE side_rows (transfer_id text NOT NULL, note text NOT NULL);
    CREATE TABLE side_calls (n int NOT NULL);
    CREATE FUNCTION side_write(entries jsonb) RETURNS void LANGUAGE sql AS $$
      INSERT INTO side_calls VALUES (jsonb_array_length(entries));
      INSERT INTO side_rows SELECT e->>0, e->>1 FROM jsonb_array_elements(entries) AS e;
    $$;
    CREATE FUNCTION side_refuse(entries jsonb) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'side table refuses'; END
    $$;`);
});

const accounts = (funding: bigint) => fundedWallets(a, funding);

/** A row of `side_write` for an `ok` transfer, with the results each attempt saw. */
function sideRow(note: string, seen: TransferResult[][] = []): Alongside {
  return {
    fn: 'side_write',
    written: false,
    row: (results) => {
      seen.push([...results]);
      const [first] = results;
      return first?.result === 'ok' && first.transfer ? [first.transfer.id, note] : undefined;
    },
  };
}

function transfer(from: string, to: string, amount: bigint, id = newId('txf')) {
  return { id, debitAccountId: from, creditAccountId: to, amount, currency: 'ETB', code: 'p2p' };
}

async function sideRowsOf(id: string): Promise<string[]> {
  const { rows } = await db.pool.query<{ note: string }>(
    'SELECT note FROM side_rows WHERE transfer_id = $1',
    [id],
  );
  return rows.map((r) => r.note);
}

describe('rows written alongside a batch', () => {
  it('commit with the transfer, made from its result', async () => {
    const { wallet, other } = await accounts(1_000n);
    const id = newId('txf');
    const alongside = sideRow('paid');
    const [result] = await a.createTransfers([transfer(wallet, other, 100n, id)], { alongside });
    expect(result?.result).toBe('ok');
    expect(alongside.written).toBe(true);
    expect(await sideRowsOf(id)).toEqual(['paid']);
  });

  it('are not written for a refused transfer, which is left to its caller', async () => {
    const { wallet, other } = await accounts(100n);
    const id = newId('txf');
    const seen: TransferResult[][] = [];
    const alongside = sideRow('refused', seen);
    // Too much: refused in memory, so nothing is written and the row callback says none.
    const [result] = await a.createTransfers([transfer(wallet, other, 500n, id)], { alongside });
    expect(result?.result).toBe('exceeds_credits');
    expect(alongside.written).toBe(false);
    expect(await sideRowsOf(id)).toEqual([]);
  });

  it('of a batch of calls go in one call of the function', async () => {
    const { wallet, other } = await accounts(1_000n);
    const ids = Array.from({ length: 8 }, () => newId('txf'));
    const sides = ids.map((_, i) => sideRow(`n${i}`));
    const before = await db.pool.query<{ calls: string }>('SELECT count(*) AS calls FROM side_calls');
    const results = await Promise.all(
      ids.map((id, i) =>
        a.createTransfers([transfer(i % 2 ? other : wallet, i % 2 ? wallet : other, 10n, id)], {
          alongside: sides[i] as Alongside,
        }),
      ),
    );
    expect(results.map(([r]) => r?.result)).toEqual(ids.map(() => 'ok'));
    expect(sides.every((side) => side.written)).toBe(true);
    for (const [i, id] of ids.entries()) expect(await sideRowsOf(id)).toEqual([`n${i}`]);
    const after = await db.pool.query<{ calls: string }>('SELECT count(*) AS calls FROM side_calls');
    // Fewer calls than transfers: the calls queued behind the first went together.
    expect(Number(after.rows[0]?.calls) - Number(before.rows[0]?.calls)).toBeLessThan(ids.length);
  });

  it('are made again when a batch is retried, and written once', async () => {
    const { wallet, other } = await accounts(1_000n);
    // A knows the wallet's totals; B (another process) moves money from it, so A's next write is stale.
    expect((await a.createTransfers([transfer(wallet, other, 1n)]))[0]?.result).toBe('ok');
    expect((await b.createTransfers([transfer(wallet, other, 1n)]))[0]?.result).toBe('ok');
    const id = newId('txf');
    const seen: TransferResult[][] = [];
    const alongside = sideRow('retried', seen);
    const batches = batchesOfA.length;
    const [result] = await a.createTransfers([transfer(wallet, other, 100n, id)], { alongside });
    expect(result?.result).toBe('ok');
    expect(batchesOfA[batches]?.attempts).toBe(2);
    expect(seen).toHaveLength(2);
    expect(alongside.written).toBe(true);
    expect(await sideRowsOf(id)).toEqual(['retried']);
  });

  it('never stop the money when the side table fails: the transfer commits without its row', async () => {
    const { wallet, other } = await accounts(1_000n);
    const id = newId('txf');
    const alongside: Alongside = { fn: 'side_refuse', written: false, row: () => [id] };
    const [result] = await a.createTransfers([transfer(wallet, other, 100n, id)], { alongside });
    expect(result?.result).toBe('ok');
    expect(alongside.written).toBe(false);
    expect((await a.getTransfer(id))?.amount).toBe(100n);
  });

  it('name a plain function, or the call is refused and nothing moves', async () => {
    const { wallet, other } = await accounts(1_000n);
    const id = newId('txf');
    const alongside: Alongside = {
      fn: 'side_write(); DROP TABLE side_rows; --',
      written: false,
      row: () => [],
    };
    await expect(a.createTransfers([transfer(wallet, other, 100n, id)], { alongside })).rejects.toThrow(
      /not a plain SQL function name/,
    );
    expect(await a.getTransfer(id)).toBeUndefined();
  });
});
