/**
 * Group commit for small statements (src/db/batcher.ts) and the statements that use it: many callers,
 * one statement, each caller still gets its own answer, failures reach exactly the callers of the
 * failed batch, the audit batch (migrations 0012, 0020) never falls back to a sequential scan, and the hot
 * batch statements are planned once per connection rather than on every call (migration 0013).
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { Batcher } from '../../src/db/batcher.ts';
import { InboxWriter } from '../../src/payments/inbox-writer.ts';
import { ChatPayError } from '../../src/shared/errors.ts';
import { assertNotFrozen, freezeUser } from '../../src/users/freeze.ts';
import { Users } from '../../src/users/users.ts';
import { Wallets } from '../../src/wallets/wallets.ts';
import { auditWriteRow } from '../helpers/audit-rows.ts';
import { freshDatabase, testLedger } from '../helpers/database.ts';

const { pool, url } = await freshDatabase();

/** Calls `run`, recording each batch it was given; resolves each batch when `release` is called. */
function gatedBatcher(options: { inFlightMax?: number; queueMax?: number } = {}) {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  const batcher = new Batcher<number, number>({
    ...options,
    overloaded: () => new ChatPayError('ledger_overloaded'),
    run: async (items) => {
      batches.push([...items]);
      await new Promise<void>((resolve) => gates.push(resolve));
      if (items.includes(-1)) throw new Error('bad item in this batch');
      return items.map((i) => i * 10);
    },
  });
  const releaseAll = () => {
    for (const gate of gates.splice(0)) gate();
  };
  return { batcher, batches, releaseAll };
}

// Two turns of the event loop: the batcher schedules its next statement one turn after a batch ends.
const tick = async () => {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('Batcher', () => {
  it('sends what arrives while a statement runs in the next one, and answers each caller its own result', async () => {
    const { batcher, batches, releaseAll } = gatedBatcher({ inFlightMax: 1 });
    const first = batcher.submit(1);
    await tick();
    const rest = [2, 3, 4, 5].map((i) => batcher.submit(i));
    await tick();
    expect(batches).toEqual([[1]]); // the others wait for the running statement
    releaseAll();
    expect(await first).toBe(10);
    await tick();
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
    releaseAll();
    expect(await Promise.all(rest)).toEqual([20, 30, 40, 50]);
  });

  it('sends everything waiting in one statement; a second connection takes what arrives while it runs', async () => {
    const { batcher, batches, releaseAll } = gatedBatcher({ inFlightMax: 2 });
    const waiting = [1, 2, 3, 4, 5, 6].map((i) => batcher.submit(i));
    await tick();
    expect(batches).toEqual([[1, 2, 3, 4, 5, 6]]);
    const later = [7, 8].map((i) => batcher.submit(i));
    await tick();
    expect(batches).toEqual([
      [1, 2, 3, 4, 5, 6],
      [7, 8],
    ]);
    const third = batcher.submit(9); // both connections busy: it waits
    await tick();
    expect(batches).toHaveLength(2);
    releaseAll();
    expect(await Promise.all([...waiting, ...later])).toEqual([10, 20, 30, 40, 50, 60, 70, 80]);
    await tick();
    expect(batches[2]).toEqual([9]);
    releaseAll();
    expect(await third).toBe(90);
  });

  it('fails exactly the callers of a failed batch; the next batch runs normally', async () => {
    const { batcher, releaseAll } = gatedBatcher({ inFlightMax: 1 });
    const failing = [batcher.submit(7), batcher.submit(-1)];
    await tick();
    const later = batcher.submit(8);
    releaseAll();
    for (const outcome of await Promise.allSettled(failing)) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { message: 'bad item in this batch' } });
    }
    await tick();
    releaseAll();
    expect(await later).toBe(80);
  });

  it('with isolateFailures, runs a failed batch item by item so that only the bad item fails', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number, number>({
      inFlightMax: 1,
      isolateFailures: true,
      run: async (items) => {
        batches.push([...items]);
        if (items.includes(-1)) throw new Error('refused');
        return items.map((i) => i * 10);
      },
    });
    const outcomes = await Promise.allSettled([1, -1, 3].map((i) => batcher.submit(i)));
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: 10 },
      { status: 'rejected', reason: expect.objectContaining({ message: 'refused' }) },
      { status: 'fulfilled', value: 30 },
    ]);
    expect(batches).toEqual([[1, -1, 3], [1], [-1], [3]]);
  });

  it('refuses at once past its queue limit, with the error it was given', async () => {
    const { batcher, releaseAll } = gatedBatcher({ inFlightMax: 1, queueMax: 2 });
    const running = batcher.submit(1);
    await tick(); // 1 is in flight; the queue is empty again
    const queued = [batcher.submit(2), batcher.submit(3)];
    await expect(batcher.submit(4)).rejects.toMatchObject({ code: 'ledger_overloaded' });
    releaseAll();
    await running;
    await tick();
    releaseAll();
    expect(await Promise.all(queued)).toEqual([20, 30]);
  });

  it('refuses with server_overloaded (503) unless told otherwise', async () => {
    let release: () => void = () => undefined;
    const batcher = new Batcher<number, number>({
      inFlightMax: 1,
      queueMax: 1,
      run: (items) => new Promise((resolve) => (release = () => resolve(items))),
    });
    const running = batcher.submit(1);
    await tick();
    const queued = batcher.submit(2);
    await expect(batcher.submit(3)).rejects.toMatchObject({ code: 'server_overloaded', status: 503 });
    release();
    expect(await running).toBe(1);
    await tick();
    release();
    expect(await queued).toBe(2);
  });

  it('runs a batch of one through `one` when given, and isolated re-runs too', async () => {
    const calls: string[] = [];
    const batcher = new Batcher<number, number>({
      inFlightMax: 1,
      isolateFailures: true,
      one: async (i) => {
        calls.push(`one ${i}`);
        if (i < 0) throw new Error('bad item');
        return i * 100;
      },
      run: async (items) => {
        calls.push(`run ${items.join(',')}`);
        if (items.some((i) => i < 0)) throw new Error('bad item in this batch');
        return items.map((i) => i * 10);
      },
    });
    expect(await batcher.submit(1)).toBe(100);
    const outcomes = await Promise.allSettled([2, -1, 3].map((i) => batcher.submit(i)));
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : 'failed'))).toEqual([
      200,
      'failed',
      300,
    ]);
    expect(calls).toEqual(['one 1', 'run 2,-1,3', 'one 2', 'one -1', 'one 3']);
  });

  it('refuses a batch whose statement answered for a different number of items', async () => {
    const batcher = new Batcher<number, number>({ inFlightMax: 1, run: async (items) => items.slice(1) });
    await expect(Promise.all([batcher.submit(1), batcher.submit(2)])).rejects.toThrow(/gave 1 results/);
  });
});

/** Sequential scans so far of each table, as this session sees them after flushing its own statistics. */
async function seqScansOf(client: pg.Client, tables: readonly string[]): Promise<Record<string, number>> {
  await client.query('SELECT pg_stat_force_next_flush()');
  await client.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await client.query<{ relname: string; seq_scan: string }>(
    'SELECT relname, seq_scan FROM pg_stat_user_tables WHERE relname = ANY($1) ORDER BY relname',
    [tables],
  );
  if (rows.length !== tables.length) throw new Error(`no statistics for some of ${tables.join(', ')}`);
  return Object.fromEntries(rows.map((r) => [r.relname, Number(r.seq_scan)]));
}

/** The prepared statements of this one-connection pool whose name matches (LIKE), with their plan counts. */
async function preparedPlans(
  single: pg.Pool,
  name: string,
): Promise<{ name: string; generic_plans: number; custom_plans: number }[]> {
  const { rows } = await single.query(
    `SELECT name, generic_plans::int, custom_plans::int FROM pg_prepared_statements
      WHERE name LIKE $1 ORDER BY name`,
    [name],
  );
  return rows;
}

/** `count` new users with emails `<prefix>-<i>@example.com`. */
function registerPeople(prefix: string, count: number) {
  const users = new Users(pool);
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      users.register({ email: `${prefix}-${i}@example.com`, password: 'correct horse battery' }),
    ),
  );
}

describe('batched statements against PostgreSQL', () => {
  it('stores the good webhooks of a batch when the database refuses one of them', async () => {
    const inbox = new InboxWriter(pool);
    const event = (n: number, body: string) => ({
      id: `whe_isolate_${n}`,
      provider: 'stripe',
      eventId: `evt_isolate_${n}`,
      headers: '{}',
      body,
      ip: null,
    });
    // PostgreSQL text can't hold a NUL character: that one row is refused, and with it its statement.
    const outcomes = await Promise.allSettled([
      inbox.store(event(1, '{"ok":1}')),
      inbox.store(event(2, 'bad \u0000 body')),
      inbox.store(event(3, '{"ok":3}')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const { rows } = await pool.query(
      `SELECT id FROM webhook_events WHERE id LIKE 'whe_isolate_%' ORDER BY id`,
    );
    expect(rows.map((r) => r.id)).toEqual(['whe_isolate_1', 'whe_isolate_3']);
  });

  it('stores answers by index lookups, however small the table was when the statement was first planned', async () => {
    // One session, so that its own statistics can be flushed and read back at once.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const seqScans = () => seqScansOf(client, ['idempotency_keys']);
      const audit = (scope: string, key: string) =>
        client.query('SELECT audit_write_rows($1::jsonb)', [
          JSON.stringify([auditWriteRow({ request: 'req_1', principal: scope, key })]),
        ]);
      const claim = (scope: string, key: string) =>
        client.query(
          `INSERT INTO idempotency_keys (principal, key, request_hash, state, locked_until)
           VALUES ($1, $2, 'h', 'in_progress', now())`,
          [scope, key],
        );
      // Planned (and, after five runs, cached as a generic plan) while the table holds a few rows...
      for (let i = 0; i < 8; i++) {
        await claim('user:usr_plan', `early-${i}`);
        await audit('user:usr_plan', `early-${i}`);
      }
      // ...then used on a table that has grown, without an ANALYZE in between.
      await client.query(
        `INSERT INTO idempotency_keys (principal, key, request_hash, state, locked_until)
         SELECT 'user:usr_plan', 'bulk-' || g, 'h', 'in_progress', now() FROM generate_series(1, 20000) g`,
      );
      const before = await seqScans();
      for (let i = 0; i < 5; i++) {
        await audit('user:usr_plan', `bulk-${i + 1}`);
      }
      expect(await seqScans()).toEqual(before);
      const { rows } = await client.query(
        `SELECT count(*)::int AS n FROM idempotency_keys WHERE principal = 'user:usr_plan' AND state = 'done'`,
      );
      expect(rows[0].n).toBe(13); // every answer stored
    } finally {
      await client.end();
    }
  });

  it('checks a lone sender with a statement planned once per connection', async () => {
    const people = await registerPeople('lone-check', 10);
    await freezeUser(pool, people[9]?.id as string, 'test');
    const single = new pg.Pool({ connectionString: url, max: 1 });
    try {
      for (const person of people.slice(0, 9)) await assertNotFrozen(single, person.id);
      await expect(assertNotFrozen(single, people[9]?.id as string)).rejects.toMatchObject({
        code: 'user_frozen',
      });
      const rows = await preparedPlans(single, 'users_frozen%');
      expect(rows.map((r) => r.name)).toEqual(['users_frozen']);
      expect(rows[0]?.custom_plans).toBeLessThanOrEqual(5);
      expect(rows[0]?.generic_plans).toBeGreaterThanOrEqual(5);
    } finally {
      await single.end();
    }
  });

  it("lists a lone caller's wallets with a statement planned once per connection", async () => {
    const single = new pg.Pool({ connectionString: url, max: 1 });
    try {
      const wallets = new Wallets(single, testLedger(pool));
      const owner = (
        await new Users(pool).register({ email: 'lone-list@example.com', password: 'correct horse battery' })
      ).id;
      await wallets.ensure(owner, 'KES');
      await wallets.ensure(owner, 'ETB');
      for (let i = 0; i < 8; i++) {
        expect((await wallets.list(owner)).map((w) => w.currency)).toEqual(['ETB', 'KES']);
      }
      const rows = await preparedPlans(single, 'wallets_list%');
      expect(rows.map((r) => r.name)).toEqual(['wallets_list']);
      expect(rows[0]?.custom_plans).toBeLessThanOrEqual(5);
    } finally {
      await single.end();
    }
  });

  it('keeps the ledger and audit batch functions on one generic plan of index lookups (migration 0013)', async () => {
    const { rows: config } = await pool.query<{ proname: string; proconfig: string[] }>(
      `SELECT proname, proconfig FROM pg_proc
        WHERE proname IN ('ledger_read_batch', 'ledger_write_batch', 'audit_write_rows') ORDER BY proname`,
    );
    expect(config.map((r) => r.proname)).toEqual([
      'audit_write_rows',
      'ledger_read_batch',
      'ledger_write_batch',
    ]);
    for (const row of config) expect(row.proconfig).toContain('plan_cache_mode=force_generic_plan');

    // The generic plan is made at the first call, here on a nearly empty table; it must still be an
    // index lookup once the table has grown (no ANALYZE in between).
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const seqScans = () => seqScansOf(client, ['ledger_accounts', 'ledger_transfers']);
      const read = (accountId: string) =>
        client.query('SELECT ledger_read_batch($1::text[], $2::text[], $3::text[], $4::text[], false)', [
          [accountId],
          [`txf_plan_${accountId}`],
          [],
          [],
        ]);
      for (let i = 0; i < 8; i++) await read(`plan:early:${i}`);
      await client.query(
        `INSERT INTO ledger_accounts (id, currency, kind)
         SELECT 'plan:bulk:' || g, 'ETB', 'wallet' FROM generate_series(1, 20000) g`,
      );
      const before = await seqScans();
      for (let i = 0; i < 5; i++) {
        const { rows } = await read(`plan:bulk:${i + 1}`);
        expect(rows[0].ledger_read_batch.accounts).toHaveLength(1);
      }
      expect(await seqScans()).toEqual(before);
    } finally {
      await client.end();
    }
  });

  it('keeps the chat recipient lookup (@username) a prepared statement, planned once per connection', async () => {
    const single = new pg.Pool({ connectionString: url, max: 1 });
    try {
      const users = new Users(single);
      const { user } = await users.fromChat('telegram', '777000111', { username: 'plan_once' });
      for (let i = 0; i < 8; i++) {
        expect((await users.resolveRecipient('@Plan_Once'))?.id).toBe(user.id);
      }
      const rows = await preparedPlans(single, 'users_by_telegram_username');
      expect((rows[0]?.generic_plans ?? 0) + (rows[0]?.custom_plans ?? 0)).toBe(8);
      expect(rows[0]?.custom_plans).toBeLessThanOrEqual(5);
    } finally {
      await single.end();
    }
  });
});
