/**
 * Sending to someone who is not on ChatPay yet. The money leaves the sender's available balance at
 * once as a hold (a pending ledger transfer into the currency's escrow account, with a timeout): when
 * the person joins with that @username or phone, the hold is posted and the money moves on to their
 * new wallet in the same linked chain; if nobody claims it in time, the ledger voids the hold and the
 * money is the sender's again. No step can create or lose money: the ledger decides each.
 */
import type { Pool } from '../db/pool.ts';
import type { Ledger, TransferInput } from '../ledger/index.ts';
import { ChatPayError } from '../shared/errors.ts';
import { formatAmount, parseAmount } from '../shared/money.ts';
import { checkPin } from '../users/pin.ts';
import { type Wallets, walletAccountId } from './wallets.ts';

export interface HeldTransfersOptions {
  readonly pool: Pool;
  readonly ledger: Ledger;
  readonly wallets: Wallets;
  /** How long money waits for its recipient before it goes back. */
  readonly holdSeconds: number;
  /** Currency → minor units above which the PIN is needed (as for transfers). */
  readonly pinRequiredAbove: ReadonlyMap<string, bigint>;
}

export interface HeldView {
  readonly id: string;
  readonly to: string;
  readonly amount: string;
  readonly currency: string;
  readonly expires_at: string;
}

export interface Claimed {
  readonly id: string;
  readonly fromUserId: string;
  /** The sender as the recipient knows them: their @username, or their user id. */
  readonly fromLabel: string;
  readonly amount: string;
  readonly currency: string;
}

const escrowAccountId = (currency: string) => `held_${currency}`;

/** `@Name` → `@name`; a phone stays as given (callers normalise it to E.164). */
export function handleOf(text: string): string {
  return text.startsWith('@') ? text.toLowerCase() : text;
}

export class HeldTransfers {
  readonly #o: HeldTransfersOptions;

  constructor(options: HeldTransfersOptions) {
    this.#o = options;
  }

  get holdSeconds(): number {
    return this.#o.holdSeconds;
  }

  async hold(input: {
    readonly id: string;
    readonly fromUserId: string;
    readonly to: string;
    readonly amount: string;
    readonly currency: string;
    readonly pin?: string | undefined;
  }): Promise<HeldView> {
    const amount = parseAmount(input.amount, input.currency);
    const threshold = this.#o.pinRequiredAbove.get(input.currency);
    if (threshold === undefined || amount > threshold)
      await checkPin(this.#o.pool, input.fromUserId, input.pin);
    const escrow = escrowAccountId(input.currency);
    await this.#o.ledger.createAccounts([
      { id: escrow, currency: input.currency, kind: 'suspense', metadata: { purpose: 'held transfers' } },
    ]);
    const [held] = await this.#o.ledger.createTransfers([
      {
        id: `${input.id}_hold`,
        debitAccountId: walletAccountId(input.fromUserId, input.currency),
        creditAccountId: escrow,
        amount,
        currency: input.currency,
        code: 'p2p_held',
        flags: { pending: true },
        timeoutSeconds: this.#o.holdSeconds,
        metadata: { from: input.fromUserId, to: handleOf(input.to) },
      },
    ]);
    if (held?.result === 'exceeds_credits' || held?.result === 'debit_account_not_found') {
      throw new ChatPayError('insufficient_funds', { param: 'amount' });
    }
    if (held?.result !== 'ok' && held?.result !== 'exists')
      throw new Error(`held transfer ${input.id}: ${held?.result}`);
    const { rows } = await this.#o.pool.query<{ id: string; to_handle: string; expires_at: Date }>(
      `INSERT INTO held_transfers (id, from_user_id, to_handle, amount, currency, status, expires_at)
       VALUES ($1, $2, $3, $4, $5, 'held', now() + make_interval(secs => $6))
       ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id RETURNING id, to_handle, expires_at`,
      [
        input.id,
        input.fromUserId,
        handleOf(input.to),
        amount.toString(),
        input.currency,
        this.#o.holdSeconds,
      ],
    );
    const row = rows[0] as { id: string; to_handle: string; expires_at: Date };
    return {
      id: row.id,
      to: row.to_handle,
      amount: formatAmount(amount, input.currency),
      currency: input.currency,
      expires_at: row.expires_at.toISOString(),
    };
  }

  /** Moves every unexpired hold addressed to one of `handles` into the new user's wallets. */
  async claim(userId: string, handles: readonly string[]): Promise<Claimed[]> {
    if (handles.length === 0) return [];
    const { rows } = await this.#o.pool.query<{
      id: string;
      from_user_id: string;
      amount: string;
      currency: string;
      username: string | null;
    }>(
      `SELECT h.id, h.from_user_id, h.amount::text, h.currency,
         (SELECT i.username FROM user_identities i WHERE i.user_id = h.from_user_id AND i.username IS NOT NULL LIMIT 1) AS username
         FROM held_transfers h WHERE h.to_handle = ANY($1) AND h.status = 'held' AND h.from_user_id <> $2`,
      [handles.map(handleOf), userId],
    );
    const claimed: Claimed[] = [];
    for (const row of rows) {
      const wallet = await this.#o.wallets.ensure(userId, row.currency);
      const amount = BigInt(row.amount);
      const chain: TransferInput[] = [
        { id: `${row.id}_post`, pendingId: `${row.id}_hold`, flags: { postPending: true, linked: true } },
        {
          id: `${row.id}_claim`,
          debitAccountId: escrowAccountId(row.currency),
          creditAccountId: wallet,
          amount,
          currency: row.currency,
          code: 'p2p',
          metadata: { from: row.from_user_id, to: userId, held: row.id },
        },
      ];
      const results = await this.#o.ledger.createTransfers(chain);
      const done = results.every((r) => r.result === 'ok' || r.result === 'exists');
      const status = done ? 'claimed' : 'returned';
      await this.#o.pool.query(
        `UPDATE held_transfers SET status = $2, claimed_by = CASE WHEN $2 = 'claimed' THEN $3 END, settled_at = now()
          WHERE id = $1 AND status = 'held'`,
        [row.id, status, userId],
      );
      if (done) {
        claimed.push({
          id: row.id,
          fromUserId: row.from_user_id,
          fromLabel: row.username ? `@${row.username}` : row.from_user_id,
          amount: formatAmount(amount, row.currency),
          currency: row.currency,
        });
      }
    }
    return claimed;
  }

  /**
   * Marks holds nobody claimed in time as returned (the ledger voided them at their timeout; a claim
   * after it is refused by the ledger) and says whose they were, so the senders can be told.
   */
  async expire(): Promise<{ fromUserId: string; to: string; amount: string; currency: string }[]> {
    const { rows } = await this.#o.pool.query<{
      from_user_id: string;
      to_handle: string;
      amount: string;
      currency: string;
    }>(
      `UPDATE held_transfers SET status = 'returned', settled_at = now()
        WHERE status = 'held' AND expires_at < now() - interval '5 seconds'
        RETURNING from_user_id, to_handle, amount::text, currency`,
    );
    return rows.map((r) => ({
      fromUserId: r.from_user_id,
      to: r.to_handle,
      amount: formatAmount(BigInt(r.amount), r.currency),
      currency: r.currency,
    }));
  }
}
