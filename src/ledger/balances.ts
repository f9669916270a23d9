import type { Pool } from '../db/pool.ts';
import type { AccountBalances } from './types.ts';

/**
 * An account's four totals as they stood at `at`, recomputed from its transfers (which are
 * immutable, so the past never changes). A post or void releases the full amount of its pending
 * transfer, hence the join.
 */
export async function balancesAt(pool: Pool, accountId: string, at: Date): Promise<AccountBalances> {
  const { rows } = await pool.query<{ dp: string; cp: string; dpe: string; cpe: string }>(
    `WITH moves AS (
       SELECT true AS is_debit, t.kind, t.amount, p.amount AS released
         FROM ledger_transfers t LEFT JOIN ledger_transfers p ON p.id = t.pending_id
        WHERE t.debit_account_id = $1 AND t.created_at <= $2
       UNION ALL
       SELECT false, t.kind, t.amount, p.amount
         FROM ledger_transfers t LEFT JOIN ledger_transfers p ON p.id = t.pending_id
        WHERE t.credit_account_id = $1 AND t.created_at <= $2
     )
     SELECT
       coalesce(sum(amount) FILTER (WHERE is_debit AND kind IN ('posted', 'post_pending')), 0)::text AS dp,
       coalesce(sum(amount) FILTER (WHERE NOT is_debit AND kind IN ('posted', 'post_pending')), 0)::text AS cp,
       (coalesce(sum(amount) FILTER (WHERE is_debit AND kind = 'pending'), 0)
        - coalesce(sum(released) FILTER (WHERE is_debit AND kind IN ('post_pending', 'void_pending')), 0))::text AS dpe,
       (coalesce(sum(amount) FILTER (WHERE NOT is_debit AND kind = 'pending'), 0)
        - coalesce(sum(released) FILTER (WHERE NOT is_debit AND kind IN ('post_pending', 'void_pending')), 0))::text AS cpe
     FROM moves`,
    [accountId, at],
  );
  const row = rows[0] ?? { dp: '0', cp: '0', dpe: '0', cpe: '0' };
  return {
    debitsPosted: BigInt(row.dp),
    creditsPosted: BigInt(row.cp),
    debitsPending: BigInt(row.dpe),
    creditsPending: BigInt(row.cpe),
  };
}
