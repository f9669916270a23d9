import type { Account, AccountBalances, AccountKind, Transfer, TransferKind } from './types.ts';

/** Column lists and row mappers shared by every ledger query (numeric arrives as a string). */

/** An account's four totals: what a balance needs, without the columns a wallet read never shows. */
export const balanceColumns =
  'debits_posted::text, credits_posted::text, debits_pending::text, credits_pending::text';

export const accountColumns = `id, currency, kind, owner_id, debits_must_not_exceed_credits,
  credits_must_not_exceed_debits, debits_frozen, ${balanceColumns}, metadata, created_at`;

export interface BalanceRow {
  debits_posted: string;
  credits_posted: string;
  debits_pending: string;
  credits_pending: string;
}

export function toBalances(row: BalanceRow): AccountBalances {
  return {
    debitsPosted: BigInt(row.debits_posted),
    creditsPosted: BigInt(row.credits_posted),
    debitsPending: BigInt(row.debits_pending),
    creditsPending: BigInt(row.credits_pending),
  };
}

export const transferColumns = `id, debit_account_id, credit_account_id, amount::text, currency, code, kind, linked,
  pending_id, reverses_id, timeout_seconds, expires_at, metadata, created_at`;

export interface AccountRow extends BalanceRow {
  id: string;
  currency: string;
  kind: string;
  owner_id: string | null;
  debits_must_not_exceed_credits: boolean;
  credits_must_not_exceed_debits: boolean;
  debits_frozen: boolean;
  metadata: Record<string, unknown> | null;
  created_at: Date;
}

export interface TransferRow {
  id: string;
  debit_account_id: string;
  credit_account_id: string;
  amount: string;
  currency: string;
  code: string;
  kind: string;
  linked: boolean;
  pending_id: string | null;
  reverses_id: string | null;
  timeout_seconds: number | null;
  expires_at: Date | null;
  metadata: Record<string, unknown> | null;
  created_at: Date;
}

export function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    currency: row.currency,
    kind: row.kind as AccountKind,
    ownerId: row.owner_id,
    flags: {
      debitsMustNotExceedCredits: row.debits_must_not_exceed_credits,
      creditsMustNotExceedDebits: row.credits_must_not_exceed_debits,
    },
    debitsFrozen: row.debits_frozen,
    ...toBalances(row),
    metadata: row.metadata,
    createdAt: row.created_at,
  };
}

export function toTransfer(row: TransferRow): Transfer {
  return {
    id: row.id,
    debitAccountId: row.debit_account_id,
    creditAccountId: row.credit_account_id,
    amount: BigInt(row.amount),
    currency: row.currency,
    code: row.code,
    kind: row.kind as TransferKind,
    linked: row.linked,
    pendingId: row.pending_id,
    reversesId: row.reverses_id,
    timeoutSeconds: row.timeout_seconds,
    expiresAt: row.expires_at,
    metadata: row.metadata,
    createdAt: row.created_at,
  };
}
