import type { PoolClient } from '../db/pool.ts';
import type { AccountState, BatchCall, BatchState } from './apply.ts';
import type { Transfer, TransferKind } from './types.ts';

/**
 * The ledger's hot-path SQL: a batch costs two round trips whatever its size — read everything it
 * needs, then write everything in one statement that commits on its own. Arrays go in through `unnest`, so no SQL is built from values.
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

type AccountTuple = [string, string, boolean, boolean, string, string, string, string, boolean];
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
 * Reads what the batch needs in one round trip (see `ledger_read_batch` in the migration); with
 * `lock`, inside the caller's transaction, it also locks the accounts in id order.
 */
export async function readBatch(client: PoolClient, keys: BatchKeys, lock: boolean): Promise<BatchState> {
  const { rows } = await client.query<{
    batch: { now: string; accounts: AccountTuple[]; transfers: TransferTuple[] };
  }>({
    name: 'ledger_read_batch',
    text: 'SELECT ledger_read_batch($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean) AS batch',
    values: [[...keys.accountIds], keys.transferIds, keys.pendingIds, keys.reversesIds, lock],
  });
  const batch = rows[0]?.batch;
  if (!batch) throw new Error('ledger_read_batch returned nothing');
  const accounts = new Map<string, AccountState>();
  for (const [id, currency, dmnec, cmned, dp, cp, dpe, cpe, frozen] of batch.accounts) {
    accounts.set(id, {
      id,
      currency,
      debitsMustNotExceedCredits: dmnec,
      creditsMustNotExceedDebits: cmned,
      debitsFrozen: frozen,
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
 * The totals (and frozen flag) an account had when the batch read it: the write applies only if they
 * still hold.
 */
export type ReadTotals = ReadonlyMap<string, readonly [bigint, bigint, bigint, bigint, boolean]>;

export function readTotals(accounts: ReadonlyMap<string, AccountState>): ReadTotals {
  const totals = new Map<string, readonly [bigint, bigint, bigint, bigint, boolean]>();
  for (const a of accounts.values()) {
    totals.set(a.id, [a.debitsPosted, a.creditsPosted, a.debitsPending, a.creditsPending, a.debitsFrozen]);
  }
  return totals;
}

/**
 * Inserts the batch's new transfers and sets each touched account's totals once, compare-and-set
 * against what was read (see `ledger_write_batch`). Rows travel as JSON: one parameter each way,
 * cheaper to encode than a dozen typed arrays, and the casts make PostgreSQL check every value.
 */
export async function writeBatch(
  client: PoolClient,
  created: readonly Transfer[],
  accounts: readonly AccountState[],
  before: ReadTotals,
  alongside: readonly AlongsideRows[] = [],
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
  const totals = accounts.map((a) => {
    const old = before.get(a.id);
    if (!old) throw new Error(`account ${a.id} was written but never read`);
    return [
      a.id,
      a.debitsPosted.toString(),
      a.creditsPosted.toString(),
      a.debitsPending.toString(),
      a.creditsPending.toString(),
      ...old.slice(0, 4).map(String),
      old[4],
    ];
  });
  const values: string[] = [JSON.stringify(transfers), JSON.stringify(totals)];
  let text = 'SELECT ledger_write_batch($1::jsonb, $2::jsonb)';
  let name = 'ledger_write_batch';
  // Each side table's function in the same statement: one round trip, one commit, all or nothing.
  // Its rows travel as JSON too, one parameter.
  for (const { fn, rows } of alongside) {
    values.push(JSON.stringify(rows));
    text += `, ${fn}($${values.length}::jsonb)`;
    name += `+${fn}`;
  }
  await client.query({ name, text, values });
}

/** The rows of one side table written with a batch (see `Alongside`). */
export interface AlongsideRows {
  readonly fn: string;
  readonly rows: readonly (readonly unknown[])[];
}
