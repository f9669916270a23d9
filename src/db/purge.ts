import type { Pool } from './pool.ts';

const batchMax = 10_000;

/**
 * Deletes the rows of `table` whose `column` is older than `hours`, oldest first, in bounded batches
 * (a long backlog never holds one huge transaction). Returns how many went. Table and column come
 * from code, never from input.
 */
export async function purgeOlderThan(
  pool: Pool,
  table: 'idempotency_keys' | 'chat_updates',
  column: 'created_at' | 'handled_at',
  hours: number,
): Promise<number> {
  let purged = 0;
  for (;;) {
    const { rowCount } = await pool.query(
      `DELETE FROM ${table} WHERE ctid IN (
         SELECT ctid FROM ${table} WHERE ${column} < now() - make_interval(hours => $1)
         ORDER BY ${column} LIMIT $2)`,
      [hours, batchMax],
    );
    purged += rowCount ?? 0;
    if ((rowCount ?? 0) < batchMax) return purged;
  }
}
