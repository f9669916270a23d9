/**
 * The pool's connections (src/db/pool.ts): a checked-out client's `query(config)` hands pg a callback
 * and makes its promise itself. pg's own promise form kept every finished statement reachable to V8's
 * young-generation collector, which promoted each one that was running at a collection (the figures
 * are in pool.ts). Checked here: the form pg is given, and that callers see pg's answers and errors
 * exactly as before, in every calling form pg has.
 */
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { freshDatabase } from '../helpers/database.ts';

const { pool } = await freshDatabase(4);

/** The arguments pg's own `query` is called with from now on. */
function watchPg(): unknown[][] {
  const calls: unknown[][] = [];
  const query = pg.Client.prototype.query;
  vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
    calls.push(args);
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query);
  return calls;
}

async function onClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await work(client);
  } finally {
    client.release();
  }
}

describe("a pooled connection's query", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('gives pg a callback, not its promise form, and answers with the rows', async () => {
    const calls = watchPg();
    const config = { name: 'pool_test_sum', text: 'SELECT $1::int + $2::int AS n', values: [2, 3] };
    const result = await onClient((client) => client.query<{ n: number }>(config));
    expect(result.rows).toEqual([{ n: 5 }]);
    expect(calls).toHaveLength(1);
    expect(typeof calls[0]?.[2]).toBe('function');
  });

  it('takes text and values, and a prepared statement again by name', async () => {
    const calls = watchPg();
    await onClient(async (client) => {
      expect((await client.query<{ s: string }>('SELECT $1::text AS s', ['birr'])).rows).toEqual([
        { s: 'birr' },
      ]);
      for (const n of [1, 2]) {
        const { rows } = await client.query<{ n: number }>({
          name: 'pool_test_again',
          text: 'SELECT $1::int * 10 AS n',
          values: [n],
        });
        expect(rows).toEqual([{ n: n * 10 }]);
      }
    });
    expect(calls.every((args) => typeof args[2] === 'function')).toBe(true);
  });

  it("rejects with pg's error, its code kept and a stack that leads back to the caller", async () => {
    const failing = () => onClient((client) => client.query('SELECT 1 / $1::int', [0]));
    const error = await failing().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as { code?: string }).code).toBe('22012'); // division_by_zero
    expect((error as Error).stack).toContain('pool.test.ts');
    // The connection stays usable after a failed statement.
    expect((await onClient((client) => client.query('SELECT 1 AS n'))).rows).toEqual([{ n: 1 }]);
  });

  it("leaves pg's own forms alone: a callback, a config's callback, a submittable", async () => {
    await onClient(async (client) => {
      const viaCallback = await new Promise<number>((resolve, reject) => {
        const returned = client.query<{ n: number }>('SELECT 7 AS n', (error, result) =>
          error ? reject(error) : resolve(result.rows[0]?.n ?? -1),
        );
        expect(returned).toBeUndefined();
      });
      expect(viaCallback).toBe(7);

      const viaConfig = await new Promise<number>((resolve, reject) => {
        const config = {
          text: 'SELECT 8 AS n',
          callback: (error: Error | null, result: pg.QueryResult<{ n: number }>) =>
            error ? reject(error) : resolve(result.rows[0]?.n ?? -1),
        };
        (client.query as (c: typeof config) => unknown)(config);
      });
      expect(viaConfig).toBe(8);

      const submittable = new pg.Query('SELECT 9 AS n');
      const rows: unknown[] = [];
      const ended = new Promise<void>((resolve, reject) => {
        submittable.on('row', (row: unknown) => rows.push(row));
        submittable.on('end', () => resolve());
        submittable.on('error', reject);
      });
      expect(client.query(submittable)).toBe(submittable);
      await ended;
      expect(rows).toEqual([{ n: 9 }]);
    });
  });

  it('serves pool.query as before', async () => {
    const { rows } = await pool.query<{ n: number }>('SELECT $1::int AS n', [11]);
    expect(rows).toEqual([{ n: 11 }]);
  });
});
