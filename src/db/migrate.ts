import { Kysely, PostgresDialect } from 'kysely';
import { type Migration, type MigrationResult, Migrator } from 'kysely/migration';
import { migrateJobQueue } from './jobs.ts';
import * as m0001 from './migrations/0001-ledger.ts';
import * as m0002 from './migrations/0002-users-and-api.ts';
import * as m0003 from './migrations/0003-audit-and-merchants.ts';
import * as m0004 from './migrations/0004-payments.ts';
import * as m0005 from './migrations/0005-merchant-webhooks.ts';
import * as m0006 from './migrations/0006-chat-sessions.ts';
import * as m0007 from './migrations/0007-held-transfers.ts';
import * as m0008 from './migrations/0008-console.ts';
import * as m0009 from './migrations/0009-reports.ts';
import * as m0010 from './migrations/0010-chat-notices.ts';
import * as m0011 from './migrations/0011-console-search.ts';
import * as m0012 from './migrations/0012-audit-write-batch.ts';
import * as m0013 from './migrations/0013-generic-plans.ts';
import * as m0014 from './migrations/0014-hot-answers.ts';
import * as m0015 from './migrations/0015-frozen-debits.ts';
import * as m0016 from './migrations/0016-worker-heartbeats.ts';
import * as m0017 from './migrations/0017-derived-csrf.ts';
import * as m0018 from './migrations/0018-dashboard-modes.ts';
import * as m0019 from './migrations/0019-verified-phones.ts';
import * as m0020 from './migrations/0020-audit-rows-json.ts';
import * as m0021 from './migrations/0021-answers-claimed-with-ledger.ts';
import type { Pool } from './pool.ts';

/** Every migration, in order. Registration is this one literal: add a file, add a line. */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001-ledger': m0001,
  '0002-users-and-api': m0002,
  '0003-audit-and-merchants': m0003,
  '0004-payments': m0004,
  '0005-merchant-webhooks': m0005,
  '0006-chat-sessions': m0006,
  '0007-held-transfers': m0007,
  '0008-console': m0008,
  '0009-reports': m0009,
  '0010-chat-notices': m0010,
  '0011-console-search': m0011,
  '0012-audit-write-batch': m0012,
  '0013-generic-plans': m0013,
  '0014-hot-answers': m0014,
  '0015-frozen-debits': m0015,
  '0016-worker-heartbeats': m0016,
  '0017-derived-csrf': m0017,
  '0018-dashboard-modes': m0018,
  '0019-verified-phones': m0019,
  '0020-audit-rows-json': m0020,
  '0021-answers-claimed-with-ledger': m0021,
};

/**
 * Applies every pending migration. Kysely holds an advisory lock while it runs, so several processes
 * starting at once apply each migration exactly once.
 */
export async function migrateToLatest(pool: Pool): Promise<MigrationResult[]> {
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: borrow(pool) }) });
  try {
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const { error, results } = await migrator.migrateToLatest();
    if (error) throw new Error('database migration failed', { cause: error });
    // The job queue's own schema, versioned by graphile-worker.
    await migrateJobQueue(pool);
    return results ?? [];
  } finally {
    await db.destroy();
  }
}

// Kysely ends the pool it is given on destroy(); the caller owns this pool, so hand it a view whose
// end() does nothing.
function borrow(pool: Pool): Pool {
  return new Proxy(pool, {
    get(target, property, receiver) {
      if (property === 'end') return async () => undefined;
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
