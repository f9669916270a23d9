import type { PoolClient } from '../db/pool.ts';
import type { AccountState, BatchCall, BatchState } from './apply.ts';
import type { Transfer, TransferKind } from './types.ts';

/**
 * The ledger's hot-path SQL: a batch costs a fixed number of round trips whatever its size — begin,
 * lock and read, write everything in one statement, commit. Arrays go in through `unnest`, so no SQL is built from values.
 */

export interface BatchKeys {
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

type AccountTuple = [string, string, boolean, boolean, string, string, string, string];
type TransferTuple = [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  boolean,
  string | null,
  string | null,
  number | null,
  string | null,
  Record<string, unknown> | null,
  string,
];

/**
 * Locks the batch's accounts (and those of the pending transfers it resolves) and reads what the batch
 * needs, in one round trip: see `ledger_lock_batch` in the migration. Every batch, in every process,
 * locks in id order, so two batches can wait for each other but never deadlock.
 */
export async function lockBatch(client: PoolClient, keys: BatchKeys): Promise<BatchState> {
  const { rows } = await client.query<{
    batch: { now: string; accounts: AccountTuple[]; transfers: TransferTuple[] };
  }>({
    name: 'ledger_lock_batch',
    text: 'SELECT ledger_lock_batch($1::text[], $2::text[], $3::text[], $4::text[]) AS batch',
    values: [[...keys.accountIds], keys.transferIds, keys.pendingIds, keys.reversesIds],
  });
  const batch = rows[0]?.batch;
  if (!batch) throw new Error('ledger_lock_batch returned nothing');
  const accounts = new Map<string, AccountState>();
  for (const [id, currency, dmnec, cmned, dp, cp, dpe, cpe] of batch.accounts) {
    accounts.set(id, {
      id,
      currency,
      debitsMustNotExceedCredits: dmnec,
      creditsMustNotExceedDebits: cmned,
      debitsPosted: BigInt(dp),
      creditsPosted: BigInt(cp),
      debitsPending: BigInt(dpe),
      creditsPending: BigInt(cpe),
    });
  }
  const transfers = new Map<string, Transfer>();
  const resolutions: BatchState['resolutions'] = new Map();
  const reversed = new Set<string>();
  for (const tuple of batch.transfers) {
    const transfer = tupleToTransfer(tuple);
    transfers.set(transfer.id, transfer);
    if (
      transfer.pendingId !== null &&
      (transfer.kind === 'post_pending' || transfer.kind === 'void_pending')
    ) {
      resolutions.set(transfer.pendingId, transfer.kind);
    }
    if (transfer.reversesId !== null) reversed.add(transfer.reversesId);
  }
  return { now: new Date(batch.now), accounts, transfers, resolutions, reversed };
}

function tupleToTransfer(t: TransferTuple): Transfer {
  return {
    id: t[0],
    debitAccountId: t[1],
    creditAccountId: t[2],
    amount: BigInt(t[3]),
    currency: t[4],
    code: t[5],
    kind: t[6] as TransferKind,
    linked: t[7],
    pendingId: t[8],
    reversesId: t[9],
    timeoutSeconds: t[10],
    expiresAt: t[11] === null ? null : new Date(t[11]),
    metadata: t[12],
    createdAt: new Date(t[13]),
  };
}

/**
 * Inserts the batch's new transfers and writes each touched account's totals once, in one statement.
 * Rows travel as one JSON document each way: cheaper to encode than a dozen typed arrays, and the
 * column types in the AS clause make PostgreSQL check every value on the way in.
 */
export async function writeBatch(
  client: PoolClient,
  created: readonly Transfer[],
  accounts: readonly AccountState[],
): Promise<void> {
  const transfers = created.map((t) => [
    t.id,
    t.debitAccountId,
    t.creditAccountId,
    t.amount.toString(),
    t.currency,
    t.code,
    t.kind,
    t.linked,
    t.pendingId,
    t.reversesId,
    t.timeoutSeconds,
    t.expiresAt?.toISOString() ?? null,
    t.metadata,
    t.createdAt.toISOString(),
  ]);
  const totals = accounts.map((a) => [
    a.id,
    a.debitsPosted.toString(),
    a.creditsPosted.toString(),
    a.debitsPending.toString(),
    a.creditsPending.toString(),
  ]);
  await client.query({
    name: 'ledger_write_batch',
    text: `WITH inserted AS (
       INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, currency, code, kind, linked,
         pending_id, reverses_id, timeout_seconds, expires_at, metadata, created_at)
       SELECT r->>0, r->>1, r->>2, (r->>3)::numeric, r->>4, r->>5, r->>6, (r->>7)::boolean, r->>8, r->>9,
              (r->>10)::integer, (r->>11)::timestamptz, r->12, (r->>13)::timestamptz
         FROM jsonb_array_elements($1::jsonb) AS r
       RETURNING 1
     ), updated AS (
       UPDATE ledger_accounts AS acc
          SET debits_posted = (v->>1)::numeric, credits_posted = (v->>2)::numeric,
              debits_pending = (v->>3)::numeric, credits_pending = (v->>4)::numeric
         FROM jsonb_array_elements($2::jsonb) AS v
        WHERE acc.id = v->>0
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM inserted) AS inserted, (SELECT count(*) FROM updated) AS updated`,
    values: [JSON.stringify(transfers), JSON.stringify(totals)],
  });
}
