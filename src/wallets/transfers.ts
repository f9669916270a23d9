import type { Pool } from '../db/pool.ts';
import type { Alongside, Ledger, Transfer } from '../ledger/index.ts';
import type { KycLimits } from '../payments/limits.ts';
import type { EventBus } from '../realtime/index.ts';
import { ChatPayError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { formatAmount, parseAmount } from '../shared/money.ts';
import { checkPin } from '../users/pin.ts';
import type { Users } from '../users/users.ts';
import { withinSendLimits } from './send-limits.ts';
import { type Wallets, walletAccountId } from './wallets.ts';

const userIdPattern = /^usr_[0-9a-z]{26}$/;

export interface SendInput {
  readonly fromUserId: string;
  /** `usr_…`, `@telegram_username`, a phone number or an email address. */
  readonly to: string;
  readonly amount: string;
  readonly currency: string;
  readonly note?: string | undefined;
  readonly pin?: string | undefined;
  /** The ledger transfer id: derived from the idempotency key, so a retried request can't pay twice. */
  readonly transferId: string;
  /** A row that commits with the transfer, in the ledger's own statement (the API's audit entry). */
  readonly alongside?: Alongside | undefined;
}

export interface TransferView {
  readonly id: string;
  readonly object: 'transfer';
  readonly amount: string;
  readonly currency: string;
  readonly from: { readonly user_id: string };
  readonly to: { readonly user_id: string };
  readonly note: string | null;
  readonly status: 'succeeded';
  readonly created_at: string;
}

export function transferView(t: Transfer): TransferView {
  const meta = (t.metadata ?? {}) as { from?: string; to?: string; note?: string };
  return {
    id: t.id,
    object: 'transfer',
    amount: formatAmount(t.amount, t.currency),
    currency: t.currency,
    from: { user_id: meta.from ?? '' },
    to: { user_id: meta.to ?? '' },
    note: meta.note ?? null,
    status: 'succeeded',
    created_at: t.createdAt.toISOString(),
  };
}

export interface TransferServiceOptions {
  readonly pool: Pool;
  readonly ledger: Ledger;
  readonly users: Users;
  readonly wallets: Wallets;
  /** Currency → minor units above which the PIN is needed; currencies not listed always need it. */
  readonly pinRequiredAbove: ReadonlyMap<string, bigint>;
  /** Tells sender and recipient, in real time, once the money has moved. */
  readonly events?: EventBus;
  /** KYC-level limits; only `transfer` rules apply here (send-limits.ts). */
  readonly kycLimits?: KycLimits | undefined;
}

/** Person-to-person transfers: one ledger transfer from the sender's wallet to the recipient's. */
export class TransferService {
  readonly #o: TransferServiceOptions;

  constructor(options: TransferServiceOptions) {
    this.#o = options;
  }

  async send(input: SendInput): Promise<TransferView> {
    const amount = parseAmount(input.amount, input.currency); // also refuses an unknown currency
    // A user id needs no lookup: if its wallet exists, so does the user (users are never deleted);
    // if not, the ledger says `credit_account_not_found` and the user is looked up then.
    const byId = userIdPattern.test(input.to);
    const recipient = byId ? { id: input.to } : await this.#o.users.resolveRecipient(input.to);
    if (!recipient) throw new ChatPayError('recipient_not_found', { param: 'to' });
    if (recipient.id === input.fromUserId) throw new ChatPayError('transfer_to_self', { param: 'to' });
    if (this.#pinRequired(amount, input.currency)) await checkPin(this.#o.pool, input.fromUserId, input.pin);
    const debit = walletAccountId(input.fromUserId, input.currency);
    const credit = walletAccountId(recipient.id, input.currency);
    const metadata: Record<string, string> = { from: input.fromUserId, to: recipient.id };
    if (input.note) metadata.note = input.note;
    const transfer = {
      id: input.transferId,
      debitAccountId: debit,
      creditAccountId: credit,
      amount,
      currency: input.currency,
      code: 'p2p',
      metadata,
    };
    // A frozen sender's wallets refuse debits: decided in the ledger batch that moves the money, and
    // checked again by its write, so a freeze that commits first is never missed (migration 0015).
    const send = { refuseFrozenDebits: true, ...(input.alongside ? { alongside: input.alongside } : {}) };
    const limited = {
      userId: input.fromUserId,
      currency: input.currency,
      amount,
      transferId: input.transferId,
    };
    const attempt = async () =>
      (
        await withinSendLimits(this.#o.pool, this.#o.kycLimits, limited, () =>
          this.#o.ledger.createTransfers([transfer], send),
        )
      )[0];
    let result = await attempt();
    if (result?.result === 'credit_account_not_found') {
      // The recipient's first money in this currency: open the wallet, then move the money. Outside
      // the limits' guard, which holds a pooled connection: opening a wallet takes another, and guarded
      // first sends holding every connection while each waits for one would stall the pool.
      if (byId && !(await this.#o.users.get(recipient.id))) {
        throw new ChatPayError('recipient_not_found', { param: 'to' });
      }
      await this.#o.wallets.ensure(recipient.id, input.currency);
      result = await attempt();
    }
    switch (result?.result) {
      case 'ok': {
        const view = transferView(result.transfer as Transfer);
        await this.#notify(view);
        return view;
      }
      case 'exists':
        // A retry: the money moved (and both sides were told) the first time.
        return transferView(result.transfer as Transfer);
      case 'alongside_refused':
        // Another request under the same Idempotency-Key answered first: nothing moved, and the API
        // answers with that request's answer (see src/api/plugins/idempotency.ts).
        throw new ChatPayError('idempotency_key_in_progress');
      case 'debit_account_frozen':
        throw new ChatPayError('user_frozen');
      case 'exceeds_credits':
      case 'debit_account_not_found': // no wallet in this currency yet: nothing to send
        throw new ChatPayError('insufficient_funds', { param: 'amount' });
      default:
        // The transfer id, derived from the Idempotency-Key, was used by another request: the key
        // was used again with another body (found here when the key is claimed with the answer).
        if (result?.result.startsWith('exists_with_different_'))
          throw new ChatPayError('idempotency_key_reused');
        throw new Error(`unexpected ledger result ${result?.result} for ${input.transferId}`);
    }
  }

  /**
   * Whether sending `amount` of `currency` (as the API receives them) changes nothing before its
   * ledger transfer: no PIN to check (a wrong one counts against the user). False for what can't be
   * parsed: `send` refuses that.
   */
  changesNothingFirst(input: { readonly amount: string; readonly currency: string }): boolean {
    try {
      return !this.#pinRequired(parseAmount(input.amount, input.currency), input.currency);
    } catch {
      return false;
    }
  }

  #pinRequired(amount: bigint, currency: string): boolean {
    const threshold = this.#o.pinRequiredAbove.get(currency);
    return threshold === undefined || amount > threshold;
  }

  async #notify(view: TransferView): Promise<void> {
    const events = this.#o.events;
    if (!events) return;
    const created_at = new Date().toISOString();
    try {
      await Promise.all([
        events.publish(view.from.user_id, {
          id: newId('evt'),
          type: 'transfer.sent',
          created_at,
          data: view,
        }),
        events.publish(view.to.user_id, {
          id: newId('evt'),
          type: 'transfer.received',
          created_at,
          data: view,
        }),
      ]);
    } catch {
      // The transfer is committed; a lost notification must not turn it into an error. Clients
      // re-sync from GET /v1/transactions when they reconnect.
    }
  }

  /** A transfer the user sent or received; others' transfers are indistinguishable from missing ones. */
  async get(userId: string, id: string): Promise<TransferView> {
    const transfer = await this.#o.ledger.getTransfer(id);
    const meta = (transfer?.metadata ?? {}) as { from?: string; to?: string };
    if (transfer?.code !== 'p2p' || (meta.from !== userId && meta.to !== userId)) {
      throw new ChatPayError('transfer_not_found');
    }
    return transferView(transfer);
  }
}
