import { type SecretBox, sealingContext } from '../shared/sealed.ts';
import type { Pool } from './pool.ts';

// Every column holding a sealed secret, with the key its context is made from. Table and column
// names come from here, never from input. (console_challenges.enrolling_secret lives minutes: a
// value left in the clear by an older version expires, and `open` reads it meanwhile.)
const sealedColumns = [
  { table: 'users', key: 'id', column: 'totp_secret', context: sealingContext.totp },
  { table: 'webhook_endpoints', key: 'id', column: 'secret', context: sealingContext.webhook },
] as const;

/**
 * Seals, in place, every secret still stored in the clear (written before sealing existed); returns
 * how many. A data migration, run by `chatpay migrate` (and `chatpay start`): one scan per column per
 * deploy, not per process start. A row changes only if it still holds the value read, so two
 * migrators running together don't seal one twice.
 */
export async function sealStoredSecrets(pool: Pool, secrets: SecretBox): Promise<number> {
  let sealed = 0;
  for (const { table, key, column, context } of sealedColumns) {
    const { rows } = await pool.query<{ key: string; value: string }>(
      `SELECT ${key} AS key, ${column} AS value FROM ${table}
        WHERE ${column} IS NOT NULL AND ${column} NOT LIKE 'sealed:%'`,
    );
    for (const row of rows) {
      const { rowCount } = await pool.query(
        `UPDATE ${table} SET ${column} = $3 WHERE ${key} = $1 AND ${column} = $2`,
        [row.key, row.value, secrets.seal(row.value, context(row.key))],
      );
      sealed += rowCount ?? 0;
    }
  }
  return sealed;
}
