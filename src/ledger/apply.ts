import { assert } from '../shared/assert.ts';
import {
  accountIdPattern,
  canonicalJson,
  expiryTransferId,
  isValidMetadata,
  minorUnitsMax,
  pendingTimeoutSecondsMax,
  transferCodePattern,
  transferIdPattern,
} from './rules.ts';
import type {
  Alongside,
  Transfer,
  TransferInput,
  TransferKind,
  TransferResult,
  TransferResultCode,
} from './types.ts';

/**
 * The pure heart of the ledger: applies a batch of calls to account state loaded (and locked) from
 * the database, transfer by transfer, exactly as if each had been committed alone in order. No I/O
 * happens here; the engine loads the state, calls `applyBatch`, and writes back what it returns.
 */

/** An account's row as loaded under lock; the totals are mutated as transfers apply. */
export interface AccountState {
  readonly id: string;
  readonly currency: string;
  readonly debitsMustNotExceedCredits: boolean;
  readonly creditsMustNotExceedDebits: boolean;
  /** See `Account.debitsFrozen`; the write checks it did not change since it was read. */
  readonly debitsFrozen: boolean;
  debitsPosted: bigint;
  creditsPosted: bigint;
  debitsPending: bigint;
  creditsPending: bigint;
}

export interface BatchState {
  /** The batch's timestamp, read from the database after its locks were taken. */
  readonly now: Date;
  readonly accounts: Map<string, AccountState>;
  /** Committed transfers the batch refers to by id; the batch's own new transfers are added as they apply. */
  readonly transfers: Map<string, Transfer>;
  /** Pending id → how it was resolved. */
  readonly resolutions: Map<string, 'post_pending' | 'void_pending'>;
  /** Ids of transfers already reversed. */
  readonly reversed: Set<string>;
}

/** A transfer as the engine sees it: the public input plus what only the engine may set. */
export interface EngineTransferInput extends TransferInput {
  /** Set by `Ledger.reverse`: this transfer mirrors `reversesId`, which may be reversed once. */
  readonly reversesId?: string;
}

export interface BatchCall {
  readonly transfers: readonly EngineTransferInput[];
  /** The expiry sweeper's calls: may void expired holds, with engine-made ids. */
  readonly expiring?: boolean;
  /** New debits from an account whose debits are frozen are refused (`debit_account_frozen`). */
  readonly refuseFrozenDebits?: boolean;
  /** Written in the batch's own statement (see `Alongside`). */
  readonly alongside?: Alongside;
}

export interface BatchOutcome {
  readonly results: TransferResult[][];
  /** New transfers in application order. */
  readonly created: Transfer[];
  /** Accounts whose totals may have changed. */
  readonly touched: Set<string>;
}

type Step = { readonly code: TransferResultCode; readonly transfer?: Transfer };

export function applyBatch(calls: readonly BatchCall[], state: BatchState): BatchOutcome {
  const created: Transfer[] = [];
  const touched = new Set<string>();
  const results = calls.map((call) => applyCall(call, state, created, touched));
  return { results, created, touched };
}

function applyCall(
  call: BatchCall,
  state: BatchState,
  created: Transfer[],
  touched: Set<string>,
): TransferResult[] {
  const inputs = call.transfers;
  const results: TransferResult[] = new Array(inputs.length);
  let start = 0;
  while (start < inputs.length) {
    let end = start;
    while (end < inputs.length && inputs[end]?.flags?.linked) end++;
    if (end === inputs.length) {
      // The last transfer of the call is linked to nothing: the chain is open and nothing in it applies.
      for (let i = start; i < inputs.length; i++) {
        const code = i === inputs.length - 1 ? 'linked_event_chain_open' : 'linked_event_failed';
        results[i] = { id: String(inputs[i]?.id), result: code };
      }
      break;
    }
    applyChain(call, start, end, state, { created, touched, results });
    start = end + 1;
  }
  return results;
}

interface Sink {
  readonly created: Transfer[];
  readonly touched: Set<string>;
  readonly results: TransferResult[];
}

/** Applies inputs[start..end] as one unit: a single transfer, or a linked chain that all-or-nothing applies. */
function applyChain(call: BatchCall, start: number, end: number, state: BatchState, sink: Sink): void {
  const undo: (() => void)[] = [];
  const createdBefore = sink.created.length;
  for (let i = start; i <= end; i++) {
    const input = call.transfers[i] as EngineTransferInput;
    const step = applyOne(input, state, call, undo, sink.touched);
    if (step.code !== 'ok' && step.code !== 'exists') {
      for (let u = undo.length - 1; u >= 0; u--) undo[u]?.();
      sink.created.length = createdBefore;
      for (let k = start; k <= end; k++) {
        const id = String(call.transfers[k]?.id);
        sink.results[k] = { id, result: k === i ? step.code : 'linked_event_failed' };
      }
      return;
    }
    if (step.code === 'ok' && step.transfer) sink.created.push(step.transfer);
    sink.results[i] = {
      id: input.id,
      result: step.code,
      ...(step.transfer ? { transfer: step.transfer } : {}),
    };
  }
}

function kindOf(input: TransferInput): TransferKind | undefined {
  const flags = input.flags ?? {};
  const set =
    Number(Boolean(flags.pending)) + Number(Boolean(flags.postPending)) + Number(Boolean(flags.voidPending));
  if (set > 1) return undefined;
  if (flags.pending) return 'pending';
  if (flags.postPending) return 'post_pending';
  if (flags.voidPending) return 'void_pending';
  return 'posted';
}

function applyOne(
  input: EngineTransferInput,
  state: BatchState,
  call: BatchCall,
  undo: (() => void)[],
  touched: Set<string>,
): Step {
  const expiring = call.expiring === true;
  const kind = kindOf(input);
  const invalid = validateShape(input, kind, expiring);
  if (invalid) return { code: invalid };
  assert(kind !== undefined, 'validateShape rejects mutually exclusive flags');
  const existing = state.transfers.get(input.id);
  if (existing) return compareExisting(input, kind, existing, state);
  const step =
    kind === 'posted' || kind === 'pending'
      ? applyMovement(input, kind, state, call.refuseFrozenDebits === true)
      : applyResolution(input, kind, state, expiring);
  if (step.code !== 'ok') return step;
  commitStep(step.mutation, state, undo, touched);
  return { code: 'ok', transfer: step.mutation.transfer };
}

function validateShape(
  input: EngineTransferInput,
  kind: TransferKind | undefined,
  expiring: boolean,
): TransferResultCode | undefined {
  const idOk =
    typeof input.id === 'string' &&
    (transferIdPattern.test(input.id) ||
      (expiring && input.pendingId !== undefined && input.id === expiryTransferId(input.pendingId)));
  if (!idOk) return 'id_invalid';
  if (kind === undefined) return 'flags_are_mutually_exclusive';
  const resolving = kind === 'post_pending' || kind === 'void_pending';
  if (resolving && (input.pendingId === undefined || input.pendingId === null)) return 'pending_id_required';
  if (!resolving && input.pendingId !== undefined && input.pendingId !== null)
    return 'pending_id_must_be_absent';
  if (resolving && input.pendingId === input.id) return 'pending_id_must_differ';
  if (input.timeoutSeconds !== undefined && input.timeoutSeconds !== null) {
    if (kind !== 'pending') return 'timeout_reserved_for_pending_transfer';
    const t = input.timeoutSeconds;
    if (!Number.isSafeInteger(t) || t < 1 || t > pendingTimeoutSecondsMax) return 'timeout_invalid';
  }
  if (input.code !== undefined ? !transferCodePattern.test(input.code) : !resolving) return 'code_invalid';
  if (!isValidMetadata(input.metadata)) return 'metadata_invalid';
  if (input.amount !== undefined && (typeof input.amount !== 'bigint' || input.amount <= 0n)) {
    return 'amount_must_be_positive';
  }
  if (input.amount !== undefined && input.amount > minorUnitsMax) return 'amount_too_large';
  if (resolving) return undefined;
  if (typeof input.debitAccountId !== 'string' || !accountIdPattern.test(input.debitAccountId)) {
    return 'debit_account_id_required';
  }
  if (typeof input.creditAccountId !== 'string' || !accountIdPattern.test(input.creditAccountId)) {
    return 'credit_account_id_required';
  }
  if (input.debitAccountId === input.creditAccountId) return 'accounts_must_differ';
  if (input.amount === undefined) return 'amount_must_be_positive';
  if (typeof input.currency !== 'string' || input.currency.length === 0) return 'currency_required';
  return undefined;
}

/** A validated change, ready to apply: new totals for the two accounts and the new transfer. */
interface Mutation {
  readonly debit: AccountState;
  readonly credit: AccountState;
  readonly debitTotals: Totals;
  readonly creditTotals: Totals;
  readonly transfer: Transfer;
  readonly resolves?: { readonly pendingId: string; readonly kind: 'post_pending' | 'void_pending' };
  readonly reverses?: string;
}

interface Totals {
  readonly debitsPosted: bigint;
  readonly creditsPosted: bigint;
  readonly debitsPending: bigint;
  readonly creditsPending: bigint;
}

type Failure = Exclude<TransferResultCode, 'ok' | 'exists'>;
type Check = { readonly code: 'ok'; readonly mutation: Mutation } | { readonly code: Failure };

function applyMovement(
  input: EngineTransferInput,
  kind: 'posted' | 'pending',
  state: BatchState,
  refuseFrozenDebits: boolean,
): Check {
  const debit = state.accounts.get(input.debitAccountId as string);
  if (!debit) return { code: 'debit_account_not_found' };
  const credit = state.accounts.get(input.creditAccountId as string);
  if (!credit) return { code: 'credit_account_not_found' };
  if (debit.currency !== input.currency || credit.currency !== input.currency)
    return { code: 'currency_mismatch' };
  if (refuseFrozenDebits && debit.debitsFrozen) return { code: 'debit_account_frozen' };
  if (input.reversesId !== undefined && state.reversed.has(input.reversesId)) {
    return { code: 'transfer_already_reversed' };
  }
  const amount = input.amount as bigint;
  const pending = kind === 'pending';
  const debitTotals = {
    ...totalsOf(debit),
    ...(pending
      ? { debitsPending: debit.debitsPending + amount }
      : { debitsPosted: debit.debitsPosted + amount }),
  };
  const creditTotals = {
    ...totalsOf(credit),
    ...(pending
      ? { creditsPending: credit.creditsPending + amount }
      : { creditsPosted: credit.creditsPosted + amount }),
  };
  const limits = checkLimits(debit, debitTotals, credit, creditTotals);
  if (limits) return { code: limits };
  const expiresAt =
    pending && input.timeoutSeconds !== undefined
      ? new Date(state.now.getTime() + input.timeoutSeconds * 1000)
      : null;
  const transfer: Transfer = {
    id: input.id,
    debitAccountId: debit.id,
    creditAccountId: credit.id,
    amount,
    currency: debit.currency,
    code: input.code as string,
    kind,
    linked: Boolean(input.flags?.linked),
    pendingId: null,
    reversesId: input.reversesId ?? null,
    timeoutSeconds: pending ? (input.timeoutSeconds ?? null) : null,
    expiresAt,
    metadata: input.metadata ?? null,
    createdAt: state.now,
  };
  return {
    code: 'ok',
    mutation: {
      debit,
      credit,
      debitTotals,
      creditTotals,
      transfer,
      ...(input.reversesId ? { reverses: input.reversesId } : {}),
    },
  };
}

function applyResolution(
  input: EngineTransferInput,
  kind: 'post_pending' | 'void_pending',
  state: BatchState,
  expiring: boolean,
): Check {
  const pendingId = input.pendingId as string;
  const pending = state.transfers.get(pendingId);
  if (!pending) return { code: 'pending_transfer_not_found' };
  if (pending.kind !== 'pending') return { code: 'pending_transfer_not_pending' };
  if (input.debitAccountId !== undefined && input.debitAccountId !== pending.debitAccountId) {
    return { code: 'pending_transfer_has_different_debit_account_id' };
  }
  if (input.creditAccountId !== undefined && input.creditAccountId !== pending.creditAccountId) {
    return { code: 'pending_transfer_has_different_credit_account_id' };
  }
  if (input.currency !== undefined && input.currency !== pending.currency) {
    return { code: 'pending_transfer_has_different_currency' };
  }
  const resolution = state.resolutions.get(pendingId);
  if (resolution === 'post_pending') return { code: 'pending_transfer_already_posted' };
  if (resolution === 'void_pending') return { code: 'pending_transfer_already_voided' };
  if (!expiring && pending.expiresAt !== null && pending.expiresAt.getTime() <= state.now.getTime()) {
    return { code: 'pending_transfer_expired' };
  }
  const amount = input.amount ?? pending.amount;
  if (kind === 'post_pending' && amount > pending.amount) return { code: 'exceeds_pending_transfer_amount' };
  if (kind === 'void_pending' && amount !== pending.amount)
    return { code: 'pending_transfer_has_different_amount' };
  const debit = state.accounts.get(pending.debitAccountId);
  const credit = state.accounts.get(pending.creditAccountId);
  assert(debit && credit, 'the engine locks the accounts of every pending transfer it resolves');
  const posted = kind === 'post_pending' ? amount : 0n;
  const debitTotals = {
    ...totalsOf(debit),
    debitsPending: debit.debitsPending - pending.amount,
    debitsPosted: debit.debitsPosted + posted,
  };
  const creditTotals = {
    ...totalsOf(credit),
    creditsPending: credit.creditsPending - pending.amount,
    creditsPosted: credit.creditsPosted + posted,
  };
  const limits = checkLimits(debit, debitTotals, credit, creditTotals);
  if (limits) return { code: limits };
  const transfer: Transfer = {
    id: input.id,
    debitAccountId: pending.debitAccountId,
    creditAccountId: pending.creditAccountId,
    amount,
    currency: pending.currency,
    code: input.code ?? pending.code,
    kind,
    linked: Boolean(input.flags?.linked),
    pendingId,
    reversesId: null,
    timeoutSeconds: null,
    expiresAt: null,
    metadata: input.metadata ?? null,
    createdAt: state.now,
  };
  return {
    code: 'ok',
    mutation: { debit, credit, debitTotals, creditTotals, transfer, resolves: { pendingId, kind } },
  };
}

function totalsOf(account: AccountState): Totals {
  return {
    debitsPosted: account.debitsPosted,
    creditsPosted: account.creditsPosted,
    debitsPending: account.debitsPending,
    creditsPending: account.creditsPending,
  };
}

function checkLimits(
  debit: AccountState,
  debitTotals: Totals,
  credit: AccountState,
  creditTotals: Totals,
): Failure | undefined {
  for (const totals of [debitTotals, creditTotals]) {
    if (
      totals.debitsPosted + totals.debitsPending > minorUnitsMax ||
      totals.creditsPosted + totals.creditsPending > minorUnitsMax
    ) {
      return 'overflows_limit';
    }
  }
  if (
    debit.debitsMustNotExceedCredits &&
    debitTotals.debitsPosted + debitTotals.debitsPending > debitTotals.creditsPosted
  ) {
    return 'exceeds_credits';
  }
  if (
    credit.creditsMustNotExceedDebits &&
    creditTotals.creditsPosted + creditTotals.creditsPending > creditTotals.debitsPosted
  ) {
    return 'exceeds_debits';
  }
  return undefined;
}

function commitStep(mutation: Mutation, state: BatchState, undo: (() => void)[], touched: Set<string>): void {
  const { debit, credit, transfer } = mutation;
  const debitBefore = totalsOf(debit);
  const creditBefore = totalsOf(credit);
  Object.assign(debit, mutation.debitTotals);
  Object.assign(credit, mutation.creditTotals);
  touched.add(debit.id);
  touched.add(credit.id);
  state.transfers.set(transfer.id, transfer);
  undo.push(() => {
    Object.assign(debit, debitBefore);
    Object.assign(credit, creditBefore);
    state.transfers.delete(transfer.id);
  });
  const { resolves, reverses } = mutation;
  if (resolves) {
    state.resolutions.set(resolves.pendingId, resolves.kind);
    undo.push(() => state.resolutions.delete(resolves.pendingId));
  }
  if (reverses) {
    state.reversed.add(reverses);
    undo.push(() => state.reversed.delete(reverses));
  }
}

function compareExisting(
  input: EngineTransferInput,
  kind: TransferKind,
  existing: Transfer,
  state: BatchState,
): Step {
  const code = firstDifference(input, kind, existing, state);
  return code ? { code } : { code: 'exists', transfer: existing };
}

function firstDifference(
  input: EngineTransferInput,
  kind: TransferKind,
  existing: Transfer,
  state: BatchState,
): TransferResultCode | undefined {
  if (kind !== existing.kind || Boolean(input.flags?.linked) !== existing.linked)
    return 'exists_with_different_flags';
  if ((input.reversesId ?? null) !== existing.reversesId) return 'exists_with_different_flags';
  if ((input.pendingId ?? null) !== existing.pendingId) return 'exists_with_different_pending_id';
  if (input.debitAccountId !== undefined && input.debitAccountId !== existing.debitAccountId) {
    return 'exists_with_different_debit_account_id';
  }
  if (input.creditAccountId !== undefined && input.creditAccountId !== existing.creditAccountId) {
    return 'exists_with_different_credit_account_id';
  }
  if (input.amount !== undefined ? input.amount !== existing.amount : !postedInFull(existing, state)) {
    return 'exists_with_different_amount';
  }
  if (input.currency !== undefined && input.currency !== existing.currency)
    return 'exists_with_different_currency';
  if (input.code !== undefined && input.code !== existing.code) return 'exists_with_different_code';
  if ((input.timeoutSeconds ?? null) !== existing.timeoutSeconds) return 'exists_with_different_timeout';
  if (canonicalJson(input.metadata) !== canonicalJson(existing.metadata))
    return 'exists_with_different_metadata';
  return undefined;
}

// A resolution sent without an amount means "all of it": it matches the stored one only if that
// resolved the full pending amount.
function postedInFull(existing: Transfer, state: BatchState): boolean {
  if (existing.pendingId === null) return false;
  const pending = state.transfers.get(existing.pendingId);
  return pending !== undefined && pending.amount === existing.amount;
}
