import { afterAll } from 'vitest';
import { FlowEngine } from '../../src/channels/flows/index.ts';
import { createPool, type Pool } from '../../src/db/pool.ts';
import { Secret } from '../../src/shared/secret.ts';
import type { TestApi } from './api.ts';
import { quietLogger } from './database.ts';

/** A pool for chat sessions on the test API's database, ended after the file. */
export function testSessionPool(api: TestApi, max = 2): Pool {
  const pool = createPool({
    url: new Secret(api.database.url),
    max,
    statementTimeoutMs: 10_000,
    logger: quietLogger,
  });
  afterAll(() => pool.end());
  return pool;
}

/** The chat flow engine on the test API's services (its own session pool unless given one). */
export function testFlowEngine(
  api: TestApi,
  options: { readonly sessionPool?: Pool; readonly sessionTimeoutSeconds?: number } = {},
): FlowEngine {
  return new FlowEngine({
    sessionPool: options.sessionPool ?? testSessionPool(api),
    services: api.services,
    logger: quietLogger,
    sessionTimeoutSeconds: options.sessionTimeoutSeconds ?? 900,
  });
}
