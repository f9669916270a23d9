/**
 * Rows written alongside a batch (`Alongside` in src/ledger/types.ts): a side table's row commits in
 * the statement that commits the call's transfers, made from the call's results, or not at all; a
 * side table that fails never stops the money. Two ledgers on one database stand for two processes.
 *
 * Also the batch's write statement itself: it lets go of its parameters (the batch's JSON, rows
 * alongside included) once it has answered, committed or failed. pg's finished statement holds them
 * and outlived the batch in V8's young generation, which promoted every batch's JSON (writeBatch in
 * src/ledger/store.ts). Checked here is the mechanism: the array handed to pg is empty afterwards.
 */
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
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

interface Sent {
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
      sent.push({ values: config.values, count: config.values.length });
    }
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query);
  return sent;
}

describe("a ledger batch's write statement", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('lets go of its parameters once it has committed', async () => {
    const { wallet, other } = await accounts(1_000n);
    const sent = watchWrites();
    const id = newId('txf');
    const [result] = await a.createTransfers([transfer(wallet, other, 100n, id)]);
    expect(result?.result).toBe('ok');
    expect(sent.length).toBeGreaterThan(0);
    for (const write of sent) {
      expect(write.count).toBeGreaterThanOrEqual(2); // the transfers' and the totals' JSON
      expect(write.values).toEqual([]);
    }
    expect((await a.getTransfer(id))?.amount).toBe(100n);
  });

  it('lets go of them when it fails, and the retry sends its own', async () => {
    const { wallet, other } = await accounts(1_000n);
    const sent = watchWrites();
    const id = newId('txf');
    const alongside: Alongside = { fn: 'side_refuse', written: false, row: () => [id] };
    const [result] = await a.createTransfers([transfer(wallet, other, 100n, id)], { alongside });
    // The side table's failure costs only its row: the batch goes again without it.
    expect(result?.result).toBe('ok');
    expect(alongside.written).toBe(false);
    expect(sent.map((w) => w.count)).toEqual([3, 2]);
    for (const write of sent) expect(write.values).toEqual([]);
  });
});
