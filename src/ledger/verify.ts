import type { Pool } from '../db/pool.ts';

export interface Violation {
  /** Which invariant failed. */
  readonly check:
    | 'currency_totals_balance'
    | 'account_flags'
    | 'account_totals_match_transfers'
    | 'pending_resolved_at_most_once'
    | 'resolution_matches_pending'
    | 'transfer_currency_matches_accounts'
    | 'transfer_accounts_exist';
  readonly accountId?: string;
  readonly transferId?: string;
  readonly currency?: string;
  readonly detail: string;
}

const reportedMax = 1000;

/**
 * Checks every invariant of the ledger (ARCHITECTURE.md §5) against the database as it is now.
 * Runs in one REPEATABLE READ transaction so all checks see the same snapshot.
 */
export async function verifyLedger(pool: Pool): Promise<Violation[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const violations: Violation[] = [];
    for (const check of checks) {
      const { rows } = await client.query(`${check.sql} LIMIT ${reportedMax}`);
      for (const row of rows) violations.push(check.describe(row));
    }
    await client.query('COMMIT');
    return violations;
  } finally {
    client.release();
  }
}

type Row = Record<string, string>;

const accountMoves = `
  WITH moves AS (
    SELECT t.debit_account_id AS account_id,
           CASE WHEN t.kind IN ('posted', 'post_pending') THEN t.amount ELSE 0 END AS dp, 0::numeric AS cp,
           CASE WHEN t.kind = 'pending' THEN t.amount
                WHEN t.kind IN ('post_pending', 'void_pending') THEN -p.amount ELSE 0 END AS dpe, 0::numeric AS cpe
      FROM ledger_transfers t LEFT JOIN ledger_transfers p ON p.id = t.pending_id
    UNION ALL
    SELECT t.credit_account_id, 0, CASE WHEN t.kind IN ('posted', 'post_pending') THEN t.amount ELSE 0 END,
           0, CASE WHEN t.kind = 'pending' THEN t.amount
                   WHEN t.kind IN ('post_pending', 'void_pending') THEN -p.amount ELSE 0 END
      FROM ledger_transfers t LEFT JOIN ledger_transfers p ON p.id = t.pending_id
  ), sums AS (
    SELECT account_id, sum(dp) AS dp, sum(cp) AS cp, sum(dpe) AS dpe, sum(cpe) AS cpe FROM moves GROUP BY account_id
  )`;

const checks: { sql: string; describe: (row: Row) => Violation }[] = [
  {
    // Transfers carry no foreign key to accounts (see the migration): this is that check.
    sql: `SELECT t.id, CASE WHEN d.id IS NULL THEN t.debit_account_id ELSE t.credit_account_id END AS account_id
            FROM ledger_transfers t
            LEFT JOIN ledger_accounts d ON d.id = t.debit_account_id
            LEFT JOIN ledger_accounts c ON c.id = t.credit_account_id
           WHERE d.id IS NULL OR c.id IS NULL`,
    describe: (r) => ({
      check: 'transfer_accounts_exist',
      transferId: r.id,
      accountId: r.account_id,
      detail: `transfer ${r.id} names account ${r.account_id}, which does not exist`,
    }),
  },
  {
    sql: `SELECT currency, sum(debits_posted)::text AS dp, sum(credits_posted)::text AS cp,
            sum(debits_pending)::text AS dpe, sum(credits_pending)::text AS cpe
          FROM ledger_accounts GROUP BY currency
          HAVING sum(debits_posted) <> sum(credits_posted) OR sum(debits_pending) <> sum(credits_pending)`,
    describe: (r) => ({
      check: 'currency_totals_balance',
      currency: r.currency,
      detail: `${r.currency}: debits posted ${r.dp} vs credits posted ${r.cp}; debits pending ${r.dpe} vs credits pending ${r.cpe}`,
    }),
  },
  {
    sql: `SELECT id FROM ledger_accounts
          WHERE (debits_must_not_exceed_credits AND debits_posted + debits_pending > credits_posted)
             OR (credits_must_not_exceed_debits AND credits_posted + credits_pending > debits_posted)
             OR debits_posted < 0 OR credits_posted < 0 OR debits_pending < 0 OR credits_pending < 0`,
    describe: (r) => ({
      check: 'account_flags',
      accountId: r.id,
      detail: `account ${r.id} breaks its balance flags`,
    }),
  },
  {
    sql: `${accountMoves}
          SELECT a.id, a.debits_posted::text AS dp, coalesce(s.dp, 0)::text AS sdp,
                 a.credits_posted::text AS cp, coalesce(s.cp, 0)::text AS scp,
                 a.debits_pending::text AS dpe, coalesce(s.dpe, 0)::text AS sdpe,
                 a.credits_pending::text AS cpe, coalesce(s.cpe, 0)::text AS scpe
            FROM ledger_accounts a LEFT JOIN sums s ON s.account_id = a.id
           WHERE a.debits_posted <> coalesce(s.dp, 0) OR a.credits_posted <> coalesce(s.cp, 0)
              OR a.debits_pending <> coalesce(s.dpe, 0) OR a.credits_pending <> coalesce(s.cpe, 0)`,
    describe: (r) => ({
      check: 'account_totals_match_transfers',
      accountId: r.id,
      detail:
        `account ${r.id}: stored (dp ${r.dp}, cp ${r.cp}, dpe ${r.dpe}, cpe ${r.cpe}) ` +
        `but its transfers sum to (dp ${r.sdp}, cp ${r.scp}, dpe ${r.sdpe}, cpe ${r.scpe})`,
    }),
  },
  {
    sql: `SELECT pending_id FROM ledger_transfers WHERE pending_id IS NOT NULL
          GROUP BY pending_id HAVING count(*) > 1`,
    describe: (r) => ({
      check: 'pending_resolved_at_most_once',
      transferId: r.pending_id,
      detail: `pending transfer ${r.pending_id} was resolved more than once`,
    }),
  },
  {
    sql: `SELECT t.id, t.debit_account_id FROM ledger_transfers t JOIN ledger_transfers p ON p.id = t.pending_id
          WHERE p.kind <> 'pending' OR p.debit_account_id <> t.debit_account_id
             OR p.credit_account_id <> t.credit_account_id OR p.currency <> t.currency
             OR (t.kind = 'post_pending' AND t.amount > p.amount)
             OR (t.kind = 'void_pending' AND t.amount <> p.amount)`,
    describe: (r) => ({
      check: 'resolution_matches_pending',
      transferId: r.id,
      accountId: r.debit_account_id,
      detail: `transfer ${r.id} does not match the pending transfer it resolves`,
    }),
  },
  {
    sql: `SELECT t.id, CASE WHEN d.currency <> t.currency THEN d.id ELSE c.id END AS account_id
            FROM ledger_transfers t
            JOIN ledger_accounts d ON d.id = t.debit_account_id
            JOIN ledger_accounts c ON c.id = t.credit_account_id
           WHERE d.currency <> t.currency OR c.currency <> t.currency`,
    describe: (r) => ({
      check: 'transfer_currency_matches_accounts',
      transferId: r.id,
      accountId: r.account_id,
      detail: `transfer ${r.id}'s currency differs from account ${r.account_id}'s`,
    }),
  },
];
