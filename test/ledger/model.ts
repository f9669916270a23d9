/**
 * A deliberately plain, sequential model of the ledger's semantics (docs/ledger.md), written apart
 * from the engine: one transfer at a time, no batching, no SQL. The model-based test runs the same
 * random calls through the real ledger on PostgreSQL and through this, and compares every result and
 * every balance.
 */
import type { TransferInput, TransferResultCode } from '../../src/ledger/index.ts';

interface ModelAccount {
  currency: string;
  dmnec: boolean;
  cmned: boolean;
  dp: bigint;
  cp: bigint;
  dpe: bigint;
  cpe: bigint;
}

export interface ModelTransfer {
  id: string;
  debit: string;
  credit: string;
  amount: bigint;
  currency: string;
  code: string;
  kind: 'posted' | 'pending' | 'post_pending' | 'void_pending';
  linked: boolean;
  pendingId: string | null;
  metadata: string;
}

interface Snapshot {
  accounts: Map<string, ModelAccount>;
  transfers: Map<string, ModelTransfer>;
  resolved: Map<string, 'post_pending' | 'void_pending'>;
}

export class LedgerModel {
  readonly accounts = new Map<string, ModelAccount>();
  readonly transfers = new Map<string, ModelTransfer>();
  readonly resolved = new Map<string, 'post_pending' | 'void_pending'>();

  addAccount(id: string, currency: string, flags: { dmnec?: boolean; cmned?: boolean } = {}): void {
    this.accounts.set(id, {
      currency,
      dmnec: !!flags.dmnec,
      cmned: !!flags.cmned,
      dp: 0n,
      cp: 0n,
      dpe: 0n,
      cpe: 0n,
    });
  }

  /** One call: chains of linked transfers all-or-nothing, everything else one by one. */
  call(inputs: readonly TransferInput[]): TransferResultCode[] {
    const results: TransferResultCode[] = [];
    let i = 0;
    while (i < inputs.length) {
      let end = i;
      while (end < inputs.length && inputs[end]?.flags?.linked) end++;
      if (end === inputs.length) {
        for (let k = i; k < inputs.length; k++) {
          results.push(k === inputs.length - 1 ? 'linked_event_chain_open' : 'linked_event_failed');
        }
        break;
      }
      const saved = this.#save();
      const chain: TransferResultCode[] = [];
      let failedAt = -1;
      for (let k = i; k <= end; k++) {
        const r = this.#one(inputs[k] as TransferInput);
        chain.push(r);
        if (r !== 'ok' && r !== 'exists') {
          failedAt = k - i;
          break;
        }
      }
      if (failedAt >= 0) {
        this.#restore(saved);
        for (let k = i; k <= end; k++)
          results.push(k - i === failedAt ? (chain[failedAt] as TransferResultCode) : 'linked_event_failed');
      } else {
        results.push(...chain);
      }
      i = end + 1;
    }
    return results;
  }

  #save(): Snapshot {
    return {
      accounts: new Map([...this.accounts].map(([k, v]) => [k, { ...v }])),
      transfers: new Map(this.transfers),
      resolved: new Map(this.resolved),
    };
  }

  #restore(saved: Snapshot): void {
    this.accounts.clear();
    for (const [k, v] of saved.accounts) this.accounts.set(k, v);
    this.transfers.clear();
    for (const [k, v] of saved.transfers) this.transfers.set(k, v);
    this.resolved.clear();
    for (const [k, v] of saved.resolved) this.resolved.set(k, v);
  }

  #one(t: TransferInput): TransferResultCode {
    const f = t.flags ?? {};
    if ([f.pending, f.postPending, f.voidPending].filter(Boolean).length > 1)
      return 'flags_are_mutually_exclusive';
    const kind = f.pending
      ? 'pending'
      : f.postPending
        ? 'post_pending'
        : f.voidPending
          ? 'void_pending'
          : 'posted';
    const resolving = kind === 'post_pending' || kind === 'void_pending';
    if (resolving && t.pendingId === undefined) return 'pending_id_required';
    if (!resolving && t.pendingId !== undefined) return 'pending_id_must_be_absent';
    if (resolving && t.pendingId === t.id) return 'pending_id_must_differ';
    if (t.amount !== undefined && t.amount <= 0n) return 'amount_must_be_positive';
    if (!resolving) {
      if (t.debitAccountId === t.creditAccountId) return 'accounts_must_differ';
      if (t.amount === undefined) return 'amount_must_be_positive';
    }
    const existing = this.transfers.get(t.id);
    if (existing) return this.#compare(t, kind, existing);
    return resolving ? this.#resolve(t, kind) : this.#move(t, kind);
  }

  #compare(t: TransferInput, kind: ModelTransfer['kind'], e: ModelTransfer): TransferResultCode {
    if (kind !== e.kind || !!t.flags?.linked !== e.linked) return 'exists_with_different_flags';
    if ((t.pendingId ?? null) !== e.pendingId) return 'exists_with_different_pending_id';
    if (t.debitAccountId !== undefined && t.debitAccountId !== e.debit)
      return 'exists_with_different_debit_account_id';
    if (t.creditAccountId !== undefined && t.creditAccountId !== e.credit)
      return 'exists_with_different_credit_account_id';
    const full = e.pendingId !== null && this.transfers.get(e.pendingId)?.amount === e.amount;
    if (t.amount !== undefined ? t.amount !== e.amount : !full) return 'exists_with_different_amount';
    if (t.currency !== undefined && t.currency !== e.currency) return 'exists_with_different_currency';
    if (t.code !== undefined && t.code !== e.code) return 'exists_with_different_code';
    if (JSON.stringify(t.metadata ?? null) !== e.metadata) return 'exists_with_different_metadata';
    return 'exists';
  }

  #move(t: TransferInput, kind: 'posted' | 'pending'): TransferResultCode {
    const d = this.accounts.get(t.debitAccountId as string);
    if (!d) return 'debit_account_not_found';
    const c = this.accounts.get(t.creditAccountId as string);
    if (!c) return 'credit_account_not_found';
    if (d.currency !== t.currency || c.currency !== t.currency) return 'currency_mismatch';
    const a = t.amount as bigint;
    if (d.dmnec && d.dp + d.dpe + a > d.cp) return 'exceeds_credits';
    if (c.cmned && c.cp + c.cpe + a > c.dp) return 'exceeds_debits';
    if (kind === 'pending') {
      d.dpe += a;
      c.cpe += a;
    } else {
      d.dp += a;
      c.cp += a;
    }
    this.#record(
      t,
      kind,
      t.debitAccountId as string,
      t.creditAccountId as string,
      a,
      t.currency as string,
      t.code as string,
    );
    return 'ok';
  }

  #resolve(t: TransferInput, kind: 'post_pending' | 'void_pending'): TransferResultCode {
    const p = this.transfers.get(t.pendingId as string);
    if (!p) return 'pending_transfer_not_found';
    if (p.kind !== 'pending') return 'pending_transfer_not_pending';
    if (t.debitAccountId !== undefined && t.debitAccountId !== p.debit)
      return 'pending_transfer_has_different_debit_account_id';
    if (t.creditAccountId !== undefined && t.creditAccountId !== p.credit)
      return 'pending_transfer_has_different_credit_account_id';
    if (t.currency !== undefined && t.currency !== p.currency)
      return 'pending_transfer_has_different_currency';
    const done = this.resolved.get(p.id);
    if (done === 'post_pending') return 'pending_transfer_already_posted';
    if (done === 'void_pending') return 'pending_transfer_already_voided';
    const a = t.amount ?? p.amount;
    if (kind === 'post_pending' && a > p.amount) return 'exceeds_pending_transfer_amount';
    if (kind === 'void_pending' && a !== p.amount) return 'pending_transfer_has_different_amount';
    const d = this.accounts.get(p.debit) as ModelAccount;
    const c = this.accounts.get(p.credit) as ModelAccount;
    d.dpe -= p.amount;
    c.cpe -= p.amount;
    if (kind === 'post_pending') {
      d.dp += a;
      c.cp += a;
    }
    this.resolved.set(p.id, kind);
    this.#record(t, kind, p.debit, p.credit, a, p.currency, t.code ?? p.code, p.id);
    return 'ok';
  }

  #record(
    t: TransferInput,
    kind: ModelTransfer['kind'],
    debit: string,
    credit: string,
    amount: bigint,
    currency: string,
    code: string,
    pendingId: string | null = null,
  ): void {
    this.transfers.set(t.id, {
      id: t.id,
      debit,
      credit,
      amount,
      currency,
      code,
      kind,
      linked: !!t.flags?.linked,
      pendingId,
      metadata: JSON.stringify(t.metadata ?? null),
    });
  }
}
