import type { Pool, PoolClient } from '../db/pool.ts';
import { findCurrency } from '../shared/currencies.ts';
import { type AccountRow, accountColumns, toAccount } from './rows.ts';
import { accountIdPattern, canonicalJson, isValidMetadata } from './rules.ts';
import {
  type Account,
  type AccountBalances,
  type AccountInput,
  type AccountKind,
  accountKinds,
} from './types.ts';

export const accountResultCodes = [
  'ok',
  'exists',
  'id_invalid',
  'currency_unknown',
  'kind_invalid',
  'flags_are_mutually_exclusive',
  'owner_id_invalid',
  'metadata_invalid',
  'exists_with_different_currency',
  'exists_with_different_kind',
  'exists_with_different_owner_id',
  'exists_with_different_flags',
  'exists_with_different_metadata',
] as const;
export type AccountResultCode = (typeof accountResultCodes)[number];

export interface AccountResult {
  readonly id: string;
  readonly result: AccountResultCode;
  readonly account?: Account;
}

const ownerIdLengthMax = 128;
const accountsPerCallMax = 10_000;

function validateAccount(input: AccountInput): AccountResultCode | undefined {
  if (typeof input.id !== 'string' || !accountIdPattern.test(input.id)) return 'id_invalid';
  if (typeof input.currency !== 'string' || !findCurrency(input.currency)) return 'currency_unknown';
  if (!(accountKinds as readonly string[]).includes(input.kind)) return 'kind_invalid';
  if (input.flags?.debitsMustNotExceedCredits && input.flags.creditsMustNotExceedDebits) {
    return 'flags_are_mutually_exclusive';
  }
  const owner = input.ownerId;
  if (
    owner !== undefined &&
    owner !== null &&
    (typeof owner !== 'string' || owner.length > ownerIdLengthMax)
  ) {
    return 'owner_id_invalid';
  }
  if (!isValidMetadata(input.metadata)) return 'metadata_invalid';
  return undefined;
}

function difference(input: AccountInput, existing: Account): AccountResultCode | undefined {
  if (input.currency !== existing.currency) return 'exists_with_different_currency';
  if (input.kind !== existing.kind) return 'exists_with_different_kind';
  if ((input.ownerId ?? null) !== existing.ownerId) return 'exists_with_different_owner_id';
  if (
    Boolean(input.flags?.debitsMustNotExceedCredits) !== existing.flags.debitsMustNotExceedCredits ||
    Boolean(input.flags?.creditsMustNotExceedDebits) !== existing.flags.creditsMustNotExceedDebits
  ) {
    return 'exists_with_different_flags';
  }
  if (canonicalJson(input.metadata) !== canonicalJson(existing.metadata))
    return 'exists_with_different_metadata';
  return undefined;
}

/**
 * Creates accounts idempotently: an id that exists with the same fields answers `exists`, with
 * different fields a specific `exists_with_different_*`. Account creation is not on the hot path, so
 * it is one insert (and one read for the ones that existed) rather than a batched engine call.
 */
export async function createAccounts(pool: Pool, inputs: readonly AccountInput[]): Promise<AccountResult[]> {
  if (inputs.length > accountsPerCallMax)
    throw new RangeError(`at most ${accountsPerCallMax} accounts per call`);
  const results: (AccountResult | undefined)[] = inputs.map((input) => {
    const invalid = validateAccount(input);
    return invalid ? { id: String(input.id), result: invalid } : undefined;
  });
  const valid = inputs.filter((_, i) => results[i] === undefined);
  if (valid.length === 0) return results as AccountResult[];
  const { rows } = await pool.query<AccountRow>(
    `INSERT INTO ledger_accounts (id, currency, kind, owner_id, debits_must_not_exceed_credits,
       credits_must_not_exceed_debits, metadata)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::boolean[], $7::jsonb[])
     ON CONFLICT (id) DO NOTHING
     RETURNING ${accountColumns}`,
    [
      valid.map((a) => a.id),
      valid.map((a) => a.currency),
      valid.map((a) => a.kind),
      valid.map((a) => a.ownerId ?? null),
      valid.map((a) => Boolean(a.flags?.debitsMustNotExceedCredits)),
      valid.map((a) => Boolean(a.flags?.creditsMustNotExceedDebits)),
      valid.map((a) => (a.metadata ? JSON.stringify(a.metadata) : null)),
    ],
  );
  const inserted = new Map(rows.map((row) => [row.id, toAccount(row)]));
  const existing = await getAccounts(
    pool,
    valid.filter((a) => !inserted.has(a.id)).map((a) => a.id),
  );
  const claimed = new Set<string>();
  return inputs.map((input, i) => {
    const failed = results[i];
    if (failed) return failed;
    const fresh = inserted.get(input.id);
    if (fresh && !claimed.has(input.id)) {
      claimed.add(input.id);
      return { id: input.id, result: 'ok', account: fresh };
    }
    const stored = fresh ?? existing.get(input.id);
    if (!stored) throw new Error(`account ${input.id} neither inserted nor found`);
    const diff = difference(input, stored);
    return diff ? { id: input.id, result: diff } : { id: input.id, result: 'exists', account: stored };
  });
}

export async function getAccounts(pool: Pool, ids: readonly string[]): Promise<Map<string, Account>> {
  if (ids.length === 0) return new Map();
  const { rows } = await pool.query<AccountRow>(
    `SELECT ${accountColumns} FROM ledger_accounts WHERE id = ANY($1::text[])`,
    [ids],
  );
  return new Map(rows.map((row) => [row.id, toAccount(row)]));
}

/**
 * Freezes (or unfreezes) the debits of every account of `ownerId` of `kind`, on `db`, which may be a
 * transaction's client: the caller's own state change (a user's `frozen_at`) commits with it. The
 * ledger's batches see the flag in their read and their compare-and-set write (migration 0015), so a
 * freeze that commits before a batch writes is never missed. Returns the ids changed.
 */
export async function setOwnerDebitsFrozen(
  db: Pool | PoolClient,
  ownerId: string,
  kind: AccountKind,
  frozen: boolean,
): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE ledger_accounts SET debits_frozen = $3
      WHERE owner_id = $1 AND kind = $2 AND debits_frozen <> $3 RETURNING id`,
    [ownerId, kind, frozen],
  );
  return rows.map((r) => r.id);
}

/** What the account holder can spend now: posted credits less posted and pending debits. */
export function availableBalance(account: AccountBalances): bigint {
  return account.creditsPosted - account.debitsPosted - account.debitsPending;
}
