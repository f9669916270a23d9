/**
 * The benchmarks' databases: a run killed before its cleanup leaves one behind on the server, and
 * the next run drops it once it is a day old, without touching a run in progress or anything else.
 */
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { benchDatabaseName, dropStaleBenchDatabases } from '../../bench/lib/database.ts';

const admin = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
await admin.connect();
const created: string[] = [];
afterAll(async () => {
  for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

async function create(name: string): Promise<string> {
  await admin.query(`CREATE DATABASE ${name}`);
  created.push(name);
  return name;
}

async function exists(name: string): Promise<boolean> {
  const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return rowCount === 1;
}

describe('benchmark databases', () => {
  it('drops those of interrupted runs over a day old, and keeps the rest', async () => {
    const now = Date.now();
    const old = await create(benchDatabaseName(now - 25 * 3600_000));
    const running = await create(benchDatabaseName(now - 10 * 60_000));
    const unnamed = await create(`chatpay_bench_${'ab'.repeat(4)}`); // an older format: age unknown
    const dropped = await dropStaleBenchDatabases(admin, now);
    expect(dropped).toContain(old);
    expect(await exists(old)).toBe(false);
    expect(await exists(running)).toBe(true);
    expect(await exists(unnamed)).toBe(true);
    expect(dropped).not.toContain(running);
  });
});
