/**
 * Rows written alongside a batch (`Alongside` in src/ledger/types.ts): a side table's row commits in
 * the statement that commits the call's transfers, made from the call's results, or not at all; a
 * side table that fails never stops the money. Two ledgers on one database stand for two processes.
 */
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Alongside, TransferResult } from '../../src/ledger/index.ts';
import { newId } from '../../src/shared/ids.ts';
import { auditWriteRow } from '../helpers/audit-rows.ts';
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
    $$;
    CREATE TABLE gate_rows (key text PRIMARY KEY, transfer_id text NOT NULL);
    -- A gate, as audit_write_rows_gated: a row whose key is taken is refused, naming its position.
    CREATE FUNCTION side_gate(entries jsonb) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE lost integer[];
      BEGIN
        SELECT coalesce(array_agg((n - 1)::integer ORDER BY n), '{}') INTO lost
          FROM jsonb_array_elements(entries) WITH ORDINALITY AS t(e, n)
         WHERE EXISTS (SELECT 1 FROM gate_rows g WHERE g.key = e->>0);
        IF cardinality(lost) > 0 THEN
          RAISE EXCEPTION 'taken' USING ERRCODE = 'CP409',
            DETAIL = json_build_object('fn', 'side_gate', 'rows', lost)::text;
        END IF;
        INSERT INTO gate_rows SELECT e->>0, e->>1 FROM jsonb_array_elements(entries) AS e;
      END
    $$;
    -- Refuses with a gate's code, but names rows of another function.
    CREATE FUNCTION side_misnamed(entries jsonb) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'taken' USING ERRCODE = 'CP409', DETAIL = '{"fn": "side_gate", "rows": [0]}'; END
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

  it('gate their transfers: a refused row leaves its transfer unmade, and its neighbours go on', async () => {
    const { wallet, other } = await accounts(1_000n);
    await db.pool.query(`INSERT INTO gate_rows VALUES ('taken', 'earlier')`);
    const keys = ['free-1', 'taken', 'free-2', 'free-3'];
    const ids = keys.map(() => newId('txf'));
    const gates: Alongside[] = keys.map((key) => ({
      fn: 'side_gate',
      gate: true,
      written: false,
      row: (results) => (results[0]?.result === 'ok' ? [key, results[0].id] : undefined),
    }));
    const batches = batchesOfA.length;
    // Submitted together: one batch, whose statement the refusal fails whole at first.
    const results = await Promise.all(
      ids.map((id, i) =>
        a.createTransfers([transfer(wallet, other, 10n, id)], { alongside: gates[i] as Alongside }),
      ),
    );
    expect(results.map(([r]) => r?.result)).toEqual(['ok', 'alongside_refused', 'ok', 'ok']);
    expect(gates.map((g) => [g.written, g.refused === true])).toEqual([
      [true, false],
      [false, true],
      [true, false],
      [true, false],
    ]);
    expect(batchesOfA.length - batches).toBeLessThan(keys.length); // not one call at a time
    expect(await a.getTransfer(ids[1] as string)).toBeUndefined();
    const { rows } = await db.pool.query<{ key: string; transfer_id: string }>(
      'SELECT key, transfer_id FROM gate_rows WHERE key = ANY($1) ORDER BY key',
      [keys],
    );
    expect(rows).toEqual([
      { key: 'free-1', transfer_id: ids[0] },
      { key: 'free-2', transfer_id: ids[2] },
      { key: 'free-3', transfer_id: ids[3] },
      { key: 'taken', transfer_id: 'earlier' },
    ]);
    expect((await a.getAccount(wallet))?.debitsPosted).toBe(30n);
  });

  it('gate their transfers when the function fails: the gated call fails, ungated neighbours commit', async () => {
    const { wallet, other } = await accounts(1_000n);
    const [gatedId, plainId] = [newId('txf'), newId('txf')];
    const gated: Alongside = { fn: 'side_refuse', gate: true, written: false, row: () => [gatedId] };
    const plain: Alongside = { fn: 'side_refuse', written: false, row: () => [plainId] };
    const [g, p] = await Promise.allSettled([
      a.createTransfers([transfer(wallet, other, 100n, gatedId)], { alongside: gated }),
      a.createTransfers([transfer(wallet, other, 100n, plainId)], { alongside: plain }),
    ]);
    expect(g).toMatchObject({ status: 'rejected', reason: { code: 'ledger_unavailable' } });
    expect(p).toMatchObject({ status: 'fulfilled', value: [{ result: 'ok' }] });
    expect([gated.written, plain.written]).toEqual([false, false]);
    expect(await a.getTransfer(gatedId)).toBeUndefined();
    expect((await a.getTransfer(plainId))?.amount).toBe(100n);
  });

  it("take a gate's refusal only for gate rows it names: otherwise it is a failure", async () => {
    const { wallet, other } = await accounts(1_000n);
    const id = newId('txf');
    // The function names rows of `side_gate`, which this batch did not call.
    const gated: Alongside = { fn: 'side_misnamed', gate: true, written: false, row: () => [id] };
    await expect(
      a.createTransfers([transfer(wallet, other, 100n, id)], { alongside: gated }),
    ).rejects.toMatchObject({ code: 'ledger_unavailable' });
    expect(gated.refused).toBeUndefined();
    expect(await a.getTransfer(id)).toBeUndefined();
  });

  it('gate through audit_write_rows_gated: a key another process commits while the batch waits on it is refused', async () => {
    const { wallet, other } = await accounts(1_000n);
    const key = `raced-${newId('k')}`;
    // Another process's answer under the key, inserted but not committed when the batch writes.
    const rival = new pg.Client({ connectionString: db.url });
    await rival.connect();
    const id = newId('txf');
    const seen: string[] = [];
    const gate: Alongside = {
      fn: 'audit_write_rows_gated',
      gate: true,
      written: false,
      row: (results) => {
        seen.push(results[0]?.result ?? 'none');
        return results[0]?.result === 'ok'
          ? auditWriteRow({ request: 'req_raced', key, hash: 'h' })
          : undefined;
      },
    };
    try {
      await rival.query('BEGIN');
      await rival.query(
        `INSERT INTO idempotency_keys (principal, key, request_hash, state, response_status, response_body, locked_until)
         VALUES ('user:usr_a', $1, 'h', 'done', 201, '{}', now())`,
        [key],
      );
      const made = a.createTransfers([transfer(wallet, other, 10n, id)], { alongside: gate });
      for (let i = 0; ; i++) {
        const { rows } = await db.pool.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        if (rows.length > 0) break;
        if (i > 200) throw new Error('the batch never waited for the rival answer');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await rival.query('COMMIT');
      // The answer's insert waited for the rival's, found its key committed, and lost: the statement
      // rolled back whole and the call was answered without moving money.
      expect((await made).map((r) => r.result)).toEqual(['alongside_refused']);
    } finally {
      await rival.end();
    }
    expect(seen).toEqual(['ok']);
    expect([gate.written, gate.refused]).toEqual([false, true]);
    expect(await a.getTransfer(id)).toBeUndefined();
    expect((await a.getAccount(wallet))?.debitsPosted).toBe(0n);
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
