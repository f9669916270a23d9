import { type SecretBox, sealedPrefix, sealingContext } from '../shared/sealed.ts';
import type { Pool } from './pool.ts';

// Every column holding a sealed secret, with the key its context is made from. Table and column
// names come from here, never from input. (console_challenges.enrolling_secret lives minutes: a
// value left in the clear by an older version expires, and `open` reads it meanwhile.)
const sealedColumns = [
  { table: 'users', key: 'id', column: 'totp_secret', context: sealingContext.totp },
  { table: 'webhook_endpoints', key: 'id', column: 'secret', context: sealingContext.webhook },
] as const;

/**
 * Seals, in place, every secret still stored in the clear (written before sealing existed) and
 * re-seals under SECRETS_KEY every one sealed under a previous key (a rotation); returns how many. A
 * data migration, run by `chatpay migrate` (and `chatpay start`): one scan per column per deploy, not
 * per process start. A row changes only if it still holds the value read, so two migrators running
 * together don't seal one twice. A value under a key that is neither current nor previous stops the
 * migration with the error naming its key id: nothing is guessed or dropped.
 */
export async function sealStoredSecrets(pool: Pool, secrets: SecretBox): Promise<number> {
  let sealed = 0;
  const current = `${sealedPrefix(secrets.keyId)}%`;
  for (const { table, key, column, context } of sealedColumns) {
    const { rows } = await pool.query<{ key: string; value: string }>(
      `SELECT ${key} AS key, ${column} AS value FROM ${table} WHERE ${column} IS NOT NULL AND ${column} NOT LIKE $1`,
      [current],
    );
    for (const row of rows) {
      const plain = secrets.open(row.value, context(row.key));
      const { rowCount } = await pool.query(
        `UPDATE ${table} SET ${column} = $3 WHERE ${key} = $1 AND ${column} = $2`,
        [row.key, row.value, secrets.seal(plain, context(row.key))],
      );
      sealed += rowCount ?? 0;
    }
  }
  return sealed;
}
