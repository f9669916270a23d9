import type { PoolClient } from '../db/pool.ts';
import type { AccountState, BatchCall, BatchState } from './apply.ts';
import {
  type AccountRow,
  accountColumns,
  type TransferRow,
  toAccountState,
  toTransfer,
  transferColumns,
} from './rows.ts';
import type { Transfer } from './types.ts';

/**
 * The ledger's hot-path SQL: a batch costs a fixed number of round trips whatever its size — read the
 * transfers it resolves, lock its accounts, read what already exists, write everything in one
 * statement. Arrays go in through `unnest`, so no SQL is built from values.
 */

interface BatchKeys {
  readonly transferIds: string[];
  readonly pendingIds: string[];
  readonly reversesIds: string[];
  readonly accountIds: Set<string>;
}

export function batchKeys(calls: readonly BatchCall[]): BatchKeys {
  const transferIds = new Set<string>();
  const pendingIds = new Set<string>();
  const reversesIds = new Set<string>();
  const accountIds = new Set<string>();
  for (const call of calls) {
    for (const t of call.transfers) {
      if (typeof t.id === 'string') transferIds.add(t.id);
      if (typeof t.pendingId === 'string') pendingIds.add(t.pendingId);
      if (typeof t.reversesId === 'string') reversesIds.add(t.reversesId);
      if (typeof t.debitAccountId === 'string') accountIds.add(t.debitAccountId);
      if (typeof t.creditAccountId === 'string') accountIds.add(t.creditAccountId);
    }
  }
  return {
    transferIds: [...transferIds],
    pendingIds: [...pendingIds],
    reversesIds: [...reversesIds],
    accountIds,
  };
}

/**
 * Reads the pending transfers the batch resolves, before any lock: transfers are immutable, and we
 * need their accounts to know which rows to lock.
 */
export async function readPendingTransfers(client: PoolClient, pendingIds: string[]): Promise<Transfer[]> {
  if (pendingIds.length === 0) return [];
  const { rows } = await client.query<TransferRow>(
    `SELECT ${transferColumns} FROM ledger_transfers WHERE id = ANY($1::text[])`,
    [pendingIds],
  );
  return rows.map(toTransfer);
}

/**
 * Locks the batch's accounts in id order. Every batch, in every process, locks in the same order, so
 * two batches can wait for each other but never deadlock.
 */
export async function lockAccounts(
  client: PoolClient,
  accountIds: string[],
): Promise<Map<string, AccountState>> {
  const { rows } = await client.query<AccountRow>(
    `SELECT ${accountColumns} FROM ledger_accounts WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
    [accountIds],
  );
  return new Map(rows.map((row) => [row.id, toAccountState(row)]));
}

/**
 * Reads, after the locks are held, the batch's timestamp and every committed transfer it could
 * collide with: same ids, resolutions of its pending ids, reversals of its originals.
 */
export async function readBatchState(
  client: PoolClient,
  keys: BatchKeys,
  accounts: Map<string, AccountState>,
  pendings: Transfer[],
): Promise<BatchState> {
  const { rows } = await client.query<TransferRow & { now: Date; found: boolean }>(
    `SELECT n.now, t.id IS NOT NULL AS found, t.*
       FROM (SELECT clock_timestamp() AS now) n
       LEFT JOIN (
         SELECT ${transferColumns} FROM ledger_transfers WHERE id = ANY($1::text[])
         UNION ALL
         SELECT ${transferColumns} FROM ledger_transfers WHERE pending_id = ANY($2::text[])
         UNION ALL
         SELECT ${transferColumns} FROM ledger_transfers WHERE reverses_id = ANY($3::text[])
       ) t ON true`,
    [keys.transferIds, keys.pendingIds, keys.reversesIds],
  );
  const transfers = new Map<string, Transfer>(pendings.map((p) => [p.id, p]));
  const resolutions: BatchState['resolutions'] = new Map();
  const reversed = new Set<string>();
  for (const row of rows) {
    if (!row.found) continue;
    const transfer = toTransfer(row);
    transfers.set(transfer.id, transfer);
    if (
      transfer.pendingId !== null &&
      (transfer.kind === 'post_pending' || transfer.kind === 'void_pending')
    ) {
      resolutions.set(transfer.pendingId, transfer.kind);
    }
    if (transfer.reversesId !== null) reversed.add(transfer.reversesId);
  }
  const now = rows[0]?.now ?? new Date();
  return { now, accounts, transfers, resolutions, reversed };
}

/** Inserts the batch's new transfers and writes each touched account's totals once, in one statement. */
export async function writeBatch(
  client: PoolClient,
  created: readonly Transfer[],
  accounts: readonly AccountState[],
): Promise<void> {
  const t = {
    id: [] as string[],
    debit: [] as string[],
    credit: [] as string[],
    amount: [] as string[],
    currency: [] as string[],
    code: [] as string[],
    kind: [] as string[],
    linked: [] as boolean[],
    pendingId: [] as (string | null)[],
    reversesId: [] as (string | null)[],
    timeout: [] as (number | null)[],
    expiresAt: [] as (Date | null)[],
    metadata: [] as (string | null)[],
    createdAt: [] as Date[],
  };
  for (const x of created) {
    t.id.push(x.id);
    t.debit.push(x.debitAccountId);
    t.credit.push(x.creditAccountId);
    t.amount.push(x.amount.toString());
    t.currency.push(x.currency);
    t.code.push(x.code);
    t.kind.push(x.kind);
    t.linked.push(x.linked);
    t.pendingId.push(x.pendingId);
    t.reversesId.push(x.reversesId);
    t.timeout.push(x.timeoutSeconds);
    t.expiresAt.push(x.expiresAt);
    t.metadata.push(x.metadata === null ? null : JSON.stringify(x.metadata));
    t.createdAt.push(x.createdAt);
  }
  const a = {
    id: [] as string[],
    dp: [] as string[],
    cp: [] as string[],
    dpe: [] as string[],
    cpe: [] as string[],
  };
  for (const x of accounts) {
    a.id.push(x.id);
    a.dp.push(x.debitsPosted.toString());
    a.cp.push(x.creditsPosted.toString());
    a.dpe.push(x.debitsPending.toString());
    a.cpe.push(x.creditsPending.toString());
  }
  await client.query(
    `WITH inserted AS (
       INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, currency, code, kind, linked,
         pending_id, reverses_id, timeout_seconds, expires_at, metadata, created_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::text[], $6::text[], $7::text[],
         $8::boolean[], $9::text[], $10::text[], $11::integer[], $12::timestamptz[], $13::jsonb[], $14::timestamptz[])
       RETURNING 1
     ), updated AS (
       UPDATE ledger_accounts AS acc
          SET debits_posted = v.dp, credits_posted = v.cp, debits_pending = v.dpe, credits_pending = v.cpe
         FROM unnest($15::text[], $16::numeric[], $17::numeric[], $18::numeric[], $19::numeric[]) AS v(id, dp, cp, dpe, cpe)
        WHERE acc.id = v.id
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM inserted) AS inserted, (SELECT count(*) FROM updated) AS updated`,
    [
      t.id,
      t.debit,
      t.credit,
      t.amount,
      t.currency,
      t.code,
      t.kind,
      t.linked,
      t.pendingId,
      t.reversesId,
      t.timeout,
      t.expiresAt,
      t.metadata,
      t.createdAt,
      a.id,
      a.dp,
      a.cp,
      a.dpe,
      a.cpe,
    ],
  );
}
