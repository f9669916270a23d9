import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { startEmbeddedPostgres } from '../../src/db/embedded.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { createPool, type Pool } from '../../src/db/pool.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { Secret } from '../../src/shared/secret.ts';

// stderr: a benchmark's stdout carries only its JSON result lines.
export const benchLogger = createLogger('warn', {}, pino.destination(2));

export interface BenchDatabase {
  readonly url: Secret;
  pool(max: number): Pool;
  close(): Promise<void>;
}

/**
 * A fresh, migrated database for one benchmark run on BENCH_DATABASE_URL's server (default: an
 * embedded PostgreSQL in a temp dir), at PostgreSQL's default durability: fsync and synchronous_commit on.
 */
export async function benchDatabase(): Promise<BenchDatabase> {
  let adminUrl = process.env.BENCH_DATABASE_URL;
  let cleanup = async () => undefined as unknown;
  if (!adminUrl) {
    const dataDir = await mkdtemp(join(tmpdir(), 'chatpay-bench-'));
    const embedded = await startEmbeddedPostgres({ dataDir, logger: benchLogger });
    adminUrl = embedded.adminUrl.reveal();
    cleanup = async () => {
      await embedded.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  const name = benchDatabaseName(Date.now());
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const dropped = await dropStaleBenchDatabases(admin, Date.now());
  if (dropped.length > 0) {
    process.stderr.write(
      `bench: dropped ${dropped.length} databases left by interrupted runs: ${dropped.join(', ')}\n`,
    );
  }
  await admin.query(`CREATE DATABASE ${name}`);
  const pools: Pool[] = [];
  const close = async () => {
    await Promise.all(pools.map((p) => p.end()));
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await cleanup();
  };
  try {
    const settings = await admin.query<{ name: string; setting: string }>(
      "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit')",
    );
    for (const s of settings.rows) {
      if (s.setting !== 'on') throw new Error(`benchmarks need ${s.name}=on, the server has ${s.setting}`);
    }
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const secret = new Secret(url.toString());
    const make = (max: number) => {
      const pool = createPool({ url: secret, max, statementTimeoutMs: 120_000, logger: benchLogger });
      pools.push(pool);
      return pool;
    };
    await migrateToLatest(make(2));
    return { url: secret, pool: make, close };
  } catch (error) {
    // Whatever failed, leave no database or server behind (and nothing that keeps the process alive).
    await close();
    throw error;
  }
}

// A run's database is named for the second it was created, so that a later run can tell leftovers
// from a run in progress on the same server.
const benchDatabasePattern = /^chatpay_bench_(\d{10})_[0-9a-f]{8}$/;
/** Older than this, a benchmark database belongs to a run that was interrupted (runs last minutes). */
const staleAfterMs = 24 * 3600_000;

export function benchDatabaseName(nowMs: number): string {
  return `chatpay_bench_${Math.floor(nowMs / 1000)}_${randomBytes(4).toString('hex')}`;
}

/**
 * Drops the databases of benchmark runs that were killed before their cleanup (Ctrl-C twice, a
 * timeout, a lost terminal): each holds a full migrated schema and its data. Only names made by
 * `benchDatabaseName` more than a day old; returns the names dropped.
 */
export async function dropStaleBenchDatabases(admin: pg.Client, nowMs: number): Promise<string[]> {
  const { rows } = await admin.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname LIKE 'chatpay\\_bench\\_%'",
  );
  const stale = rows
    .map((r) => r.datname)
    .filter((name) => {
      const created = benchDatabasePattern.exec(name)?.[1];
      return created !== undefined && nowMs - Number(created) * 1000 > staleAfterMs;
    });
  for (const name of stale) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  return stale;
}

/** Percentile of an ascending array of numbers (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
