import { type Kysely, sql } from 'kysely';
import { readBatchFunction, writeBatchFunction } from './0001-ledger.ts';

/**
 * A frozen account refuses new debits inside the ledger's own batch, not in a read before it.
 *
 * A user's freeze was a separate read of `users` before each send: one more round trip on the hot
 * path (5–14 ms of a transfer's time at 2,000/s in bench:api), and a race, since a freeze committing
 * between that read and the batch let the send through. Now a freeze also sets `debits_frozen` on the
 * user's wallets (same transaction), the batch reads the flag with the totals, a transfer that asks
 * for it (`refuseFrozenDebits`) is refused on a frozen debit account, and the compare-and-set write
 * checks the flag as it checks the totals: a freeze that lands after the batch read its accounts
 * makes the write fail whole, and the engine decides again from a fresh read. Credits, and the
 * posting or voiding of holds placed before the freeze, are unaffected.
 *
 * The write accepts the old nine-element account tuples (no flag) from a process not yet upgraded,
 * so a rolling deploy keeps writing; those processes still check freezes with their own read.
 */
const readBatchV2 = readBatchFunction
  .replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION')
  .replace(
    'a.debits_pending::text, a.credits_pending::text)',
    'a.debits_pending::text, a.credits_pending::text, a.debits_frozen)',
  );

const writeBatchV2 = writeBatchFunction.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION').replace(
  'AND acc.debits_pending = (v->>7)::numeric AND acc.credits_pending = (v->>8)::numeric;',
  `AND acc.debits_pending = (v->>7)::numeric AND acc.credits_pending = (v->>8)::numeric
     AND (v->9 IS NULL OR acc.debits_frozen = (v->>9)::boolean);`,
);

// CREATE OR REPLACE resets a function's settings; 0013's generic plans are set again.
const genericPlans = [
  'ledger_read_batch(text[], text[], text[], text[], boolean)',
  'ledger_write_batch(jsonb, jsonb)',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  if (readBatchV2 === readBatchFunction || writeBatchV2 === writeBatchFunction) {
    throw new Error('0015: the batch functions of 0001 no longer have the expected text');
  }
  await sql`ALTER TABLE ledger_accounts ADD COLUMN debits_frozen boolean NOT NULL DEFAULT false`.execute(db);
  await sql`UPDATE ledger_accounts a SET debits_frozen = true FROM users u
             WHERE a.owner_id = u.id AND a.kind = 'wallet' AND u.frozen_at IS NOT NULL`.execute(db);
  await sql.raw(readBatchV2).execute(db);
  await sql.raw(writeBatchV2).execute(db);
  for (const fn of genericPlans) {
    await sql.raw(`ALTER FUNCTION ${fn} SET plan_cache_mode = force_generic_plan`).execute(db);
  }
  // Only the batched freeze read of every send used it (0013).
  await sql`DROP INDEX users_frozen_idx`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX users_frozen_idx ON users (id) WHERE frozen_at IS NOT NULL`.execute(db);
  await sql.raw(readBatchFunction.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION')).execute(db);
  await sql.raw(writeBatchFunction.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION')).execute(db);
  for (const fn of genericPlans) {
    await sql.raw(`ALTER FUNCTION ${fn} SET plan_cache_mode = force_generic_plan`).execute(db);
  }
  await sql`ALTER TABLE ledger_accounts DROP COLUMN debits_frozen`.execute(db);
}
