import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../src/db/embedded.ts';
import { createLogger } from '../../src/shared/logger.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A maintenance URL of the test server; test files create their own databases on it. */
    adminDatabaseUrl: string;
    /** In every test database's name, so that the run's teardown finds all of its own and no other's. */
    testRunId: string;
  }
}

/**
 * One PostgreSQL for the whole run: the server named by TEST_DATABASE_URL (only used to create and
 * drop databases of our own, never to touch its existing data), or an embedded one in a temp dir.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.TEST_DATABASE_URL;
  const runId = randomBytes(3).toString('hex');
  project.provide('testRunId', runId);
  if (given) {
    project.provide('adminDatabaseUrl', given);
    // Each file drops its databases in an afterAll, but a database made inside a hook or a test
    // (where vitest runs no afterAll registered then) would outlive the run: drop what is left.
    return () => dropRunDatabases(given, runId);
  }
  if (process.env.CI)
    throw new Error('CI must set TEST_DATABASE_URL: a missing PostgreSQL is a failure, not a skip');
  const dataDir = await mkdtemp(join(tmpdir(), 'chatpay-test-'));
  const embedded: EmbeddedPostgres = await startEmbeddedPostgres({ dataDir, logger: createLogger('warn') });
  project.provide('adminDatabaseUrl', embedded.adminUrl.reveal());
  return async () => {
    await embedded.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}

async function dropRunDatabases(adminUrl: string, runId: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [`chatpay_test_${runId}_%`],
    );
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
