/** What an account is for. Wallets and merchants hold customer money; the rest are the platform's. */
export const accountKinds = [
  'wallet',
  'merchant',
  'provider_clearing',
  'fees',
  'fx_liquidity',
  'suspense',
  'operating',
] as const;
export type AccountKind = (typeof accountKinds)[number];

export interface AccountFlags {
  /** Wallets: debits (posted + pending) may never exceed posted credits, so the balance can't go negative. */
  readonly debitsMustNotExceedCredits?: boolean;
  /** The mirror rule, for accounts that should only ever hold a debit balance. */
  readonly creditsMustNotExceedDebits?: boolean;
}

export interface AccountInput {
  /** Client-chosen id: 1–128 of `A-Z a-z 0-9 _ - : .`. Creating the same account twice is idempotent. */
  readonly id: string;
  readonly currency: string;
  readonly kind: AccountKind;
  readonly ownerId?: string | null;
  readonly flags?: AccountFlags;
  readonly metadata?: Readonly<Record<string, unknown>> | null;
}

export interface AccountBalances {
  readonly debitsPosted: bigint;
  readonly creditsPosted: bigint;
  readonly debitsPending: bigint;
  readonly creditsPending: bigint;
}

export interface Account extends AccountBalances {
  readonly id: string;
  readonly currency: string;
  readonly kind: AccountKind;
  readonly ownerId: string | null;
  readonly flags: Required<AccountFlags>;
  /**
   * New debits are refused to transfers that ask (`CreateTransfersOptions.refuseFrozenDebits`): a
   * frozen user's wallets. Credits, and posting or voiding holds placed before, still apply.
   */
  readonly debitsFrozen: boolean;
  readonly metadata: Readonly<Record<string, unknown>> | null;
  readonly createdAt: Date;
}

export interface CreateTransfersOptions {
  /**
   * Refuse a new debit (posted or pending) from an account whose debits are frozen, with
   * `debit_account_frozen`. Decided inside the batch and checked again by its write, so a freeze
   * that commits first is always seen. Asked by what a person starts (sends, held sends); not by
   * operators' corrections or the settlement of money already on its way.
   */
  readonly refuseFrozenDebits?: boolean;
  /** A row of another table that commits with this call's transfers or not at all (see `Alongside`). */
  readonly alongside?: Alongside;
}

/**
 * A row written in the statement that commits the call's transfers, so that the two commit together
 * or not at all, in one round trip and one commit instead of two: the audit row and stored answer of
 * the API request that moved the money (src/api/plugins/audit.ts). `fn` is a SQL function taking one
 * jsonb argument, the rows as an array of arrays; the rows of every call of a batch naming the same
 * function go in one call of it.
 *
 * The row is made from the call's results on each attempt of its batch (a retried batch may answer
 * differently), and only when `row` returns one. If the statement fails for any reason but a race
 * with another writer, the batch is tried again without its rows, so a broken side table never stops
 * money; `written` then stays false and the caller writes its row the ordinary way.
 *
 * A `gate` row is one the call's transfers must not commit without: the answer that claims an API
 * request's Idempotency-Key (`audit_write_rows_gated`). Its function may refuse rows by raising
 * SQLSTATE `CP409` with the detail `{"fn": <its name>, "rows": [<0-based positions in its rows>]}`;
 * the refused calls are then answered `alongside_refused` for every transfer, none of their
 * transfers made, and `refused` set, and the batch goes again without them. When the statement fails
 * otherwise, gated calls are not retried without their rows: they fail (`ledger_unavailable`) and the
 * others go on as above. A gated call must give a row whenever its results create a transfer.
 */
export interface Alongside {
  /** A plain SQL function name (letters, digits, underscores). */
  readonly fn: string;
  /** This call's row (a JSON array, one value per column of `fn`), given its results; undefined for none. */
  readonly row: (results: readonly TransferResult[]) => readonly unknown[] | undefined;
  /** The call's transfers commit only with this row (see above). */
  readonly gate?: boolean;
  /** Set by the ledger once the row has committed with the transfers. */
  written: boolean;
  /** Set by the ledger when `fn` refused a gate row: the call's transfers were not made. */
  refused?: boolean;
}

export interface TransferFlags {
  /** A hold: moves the amount into the pending totals until posted, voided or expired. */
  readonly pending?: boolean;
  /** Resolves the pending transfer `pendingId` by posting all of it, or `amount` of it. */
  readonly postPending?: boolean;
  /** Resolves the pending transfer `pendingId` by releasing it. */
  readonly voidPending?: boolean;
  /** Links this transfer to the next one in the same call: the chain commits or fails as one. */
  readonly linked?: boolean;
}

export interface TransferInput {
  /** Client-chosen id and idempotency key: 1–100 of `A-Z a-z 0-9 _ -`. */
  readonly id: string;
  /** Required unless resolving a pending transfer (then, if given, it must match the pending one). */
  readonly debitAccountId?: string;
  readonly creditAccountId?: string;
  /** Minor units, > 0. Optional when resolving: a post without it posts the full pending amount. */
  readonly amount?: bigint;
  /** Must equal both accounts' currency. Optional when resolving. */
  readonly currency?: string;
  /** Why the money moved (`p2p`, `deposit`, `fee`, …): 1–64 of `a-z 0-9 _ . -`. Inherited when resolving. */
  readonly code?: string;
  readonly flags?: TransferFlags;
  /** The pending transfer a post or void resolves. */
  readonly pendingId?: string;
  /** A pending transfer's lifetime; when it passes, the engine voids the hold. */
  readonly timeoutSeconds?: number;
  /** Free-form JSON object, at most 4 KiB serialised. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export type TransferKind = 'posted' | 'pending' | 'post_pending' | 'void_pending';

export interface Transfer {
  readonly id: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  /** For a post: the amount posted. For a void: the amount released. */
  readonly amount: bigint;
  readonly currency: string;
  readonly code: string;
  readonly kind: TransferKind;
  readonly linked: boolean;
  readonly pendingId: string | null;
  readonly reversesId: string | null;
  readonly timeoutSeconds: number | null;
  readonly expiresAt: Date | null;
  readonly metadata: Readonly<Record<string, unknown>> | null;
  readonly createdAt: Date;
}

/**
 * Every result a transfer can have. `ok` and `exists` are success (a retry of a committed transfer
 * returns `exists`); every other value is a specific reason the transfer was not applied.
 */
export const transferResultCodes = [
  'ok',
  'exists',
  // Malformed transfers.
  'id_invalid',
  'flags_are_mutually_exclusive',
  'pending_id_required',
  'pending_id_must_be_absent',
  'pending_id_must_differ',
  'timeout_reserved_for_pending_transfer',
  'timeout_invalid',
  'code_invalid',
  'metadata_invalid',
  'debit_account_id_required',
  'credit_account_id_required',
  'accounts_must_differ',
  'amount_must_be_positive',
  'amount_too_large',
  'currency_required',
  // Accounts.
  'debit_account_not_found',
  'credit_account_not_found',
  'currency_mismatch',
  'debit_account_frozen',
  // Idempotency.
  'exists_with_different_flags',
  'exists_with_different_debit_account_id',
  'exists_with_different_credit_account_id',
  'exists_with_different_amount',
  'exists_with_different_currency',
  'exists_with_different_code',
  'exists_with_different_pending_id',
  'exists_with_different_timeout',
  'exists_with_different_metadata',
  // Resolving pending transfers.
  'pending_transfer_not_found',
  'pending_transfer_not_pending',
  'pending_transfer_has_different_debit_account_id',
  'pending_transfer_has_different_credit_account_id',
  'pending_transfer_has_different_currency',
  'pending_transfer_has_different_amount',
  'exceeds_pending_transfer_amount',
  'pending_transfer_already_posted',
  'pending_transfer_already_voided',
  'pending_transfer_expired',
  // Reversals.
  'transfer_already_reversed',
  // Balances.
  'overflows_limit',
  'exceeds_credits',
  'exceeds_debits',
  // Linked chains.
  'linked_event_failed',
  'linked_event_chain_open',
  // A gate row written alongside was refused (see `Alongside.gate`).
  'alongside_refused',
] as const;

export type TransferResultCode = (typeof transferResultCodes)[number];

export interface TransferResult {
  readonly id: string;
  readonly result: TransferResultCode;
  /** The transfer as committed (for `ok`) or as first committed (for `exists`). */
  readonly transfer?: Transfer;
}
