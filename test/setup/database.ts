import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../src/db/embedded.ts';
import { createLogger } from '../../src/shared/logger.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A maintenance URL of the test server; test files create their own databases on it. */
    adminDatabaseUrl: string;
  }
}

/**
 * One PostgreSQL for the whole run: the server named by TEST_DATABASE_URL (only used to create and
 * drop databases of our own, never to touch its existing data), or an embedded one in a temp dir.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.TEST_DATABASE_URL;
  if (given) {
    project.provide('adminDatabaseUrl', given);
    return async () => undefined;
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
