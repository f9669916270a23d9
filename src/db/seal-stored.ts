import type { SecretBox } from '../shared/sealed.ts';
import type { Pool } from './pool.ts';

/** The columns that hold sealed secrets (src/shared/sealed.ts), with the key of their rows. */
type SealedColumn =
  | { readonly table: 'users'; readonly key: 'id'; readonly column: 'totp_secret' }
  | { readonly table: 'webhook_endpoints'; readonly key: 'id'; readonly column: 'secret' };

/**
 * Seals, in place, the values of `column` still stored in the clear (written before sealing existed);
 * returns how many. A row changes only if it still holds the value read, so processes starting
 * together don't seal one twice. Table and column come from code, never from input.
 */
export async function sealStored(
  pool: Pool,
  secrets: SecretBox,
  { table, key, column }: SealedColumn,
  context: (key: string) => string,
): Promise<number> {
  const { rows } = await pool.query<{ key: string; value: string }>(
    `SELECT ${key} AS key, ${column} AS value FROM ${table}
      WHERE ${column} IS NOT NULL AND ${column} NOT LIKE 'sealed:%'`,
  );
  let sealed = 0;
  for (const row of rows) {
    const { rowCount } = await pool.query(
      `UPDATE ${table} SET ${column} = $3 WHERE ${key} = $1 AND ${column} = $2`,
      [row.key, row.value, secrets.seal(row.value, context(row.key))],
    );
    sealed += rowCount ?? 0;
  }
  return sealed;
}
