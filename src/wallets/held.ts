/**
 * Sending to someone who is not on ChatPay yet. The money leaves the sender's available balance at
 * once as a hold (a pending ledger transfer into the currency's escrow account, with a timeout): when
 * the person joins with that @username, or a user gets that phone number (registering with it, or
 * sharing their own contact in chat), the hold is posted and the money moves on to their wallet in
 * the same linked chain; if nobody claims it in time, the ledger voids the hold and the money is the
 * sender's again. No step can create or lose money: the ledger decides each. The people concerned
 * are told through chat notices queued in the transaction that settles the hold.
 */
import { enqueue } from '../db/jobs.ts';
import { inTransaction, type Pool, type PoolClient } from '../db/pool.ts';
import type { Ledger, TransferInput } from '../ledger/index.ts';
import type { KycLimits } from '../payments/limits.ts';
import { ChatPayError } from '../shared/errors.ts';
import { formatAmount, parseAmount } from '../shared/money.ts';
import { normalizePhone } from '../users/contacts.ts';
import { checkPin } from '../users/pin.ts';
import { withinSendLimits } from './send-limits.ts';
import { type Wallets, walletAccountId } from './wallets.ts';

export interface HeldTransfersOptions {
  readonly pool: Pool;
  readonly ledger: Ledger;
  readonly wallets: Wallets;
  /** How long money waits for its recipient before it goes back. */
  readonly holdSeconds: number;
  /** Currency → minor units above which the PIN is needed (as for transfers). */
  readonly pinRequiredAbove: ReadonlyMap<string, bigint>;
  /** KYC-level limits; only `transfer` rules apply here, as for transfers (send-limits.ts). */
  readonly kycLimits?: KycLimits | undefined;
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
/** Holds one claim settles at most (one person's backlog); the rest wait for the next claim. */
const claimsMax = 1_000;
/** Holds one `expire` call returns at most. */
const expireBatchMax = 1_000;

/** `@Name` → `@name`; a phone stays as given (`hold` normalises it to E.164, as users store it). */
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
    // Held for the number as users store it, so their phone finds it: E.164, or phone_invalid.
    const to = input.to.startsWith('@') ? handleOf(input.to) : normalizePhone(input.to, 'to');
    const threshold = this.#o.pinRequiredAbove.get(input.currency);
    if (threshold === undefined || amount > threshold)
      await checkPin(this.#o.pool, input.fromUserId, input.pin);
    const escrow = escrowAccountId(input.currency);
    await this.#o.ledger.createAccounts([
      { id: escrow, currency: input.currency, kind: 'suspense', metadata: { purpose: 'held transfers' } },
    ]);
    // A frozen sender can't move money out, to a member or to someone not on ChatPay yet: the ledger
    // refuses the hold on their frozen wallet, deciding in the batch that writes it.
    const holdId = `${input.id}_hold`;
    const limited = { userId: input.fromUserId, currency: input.currency, amount, transferId: holdId };
    const [held] = await withinSendLimits(this.#o.pool, this.#o.kycLimits, limited, () =>
      this.#o.ledger.createTransfers(
        [
          {
            id: holdId,
            debitAccountId: walletAccountId(input.fromUserId, input.currency),
            creditAccountId: escrow,
            amount,
            currency: input.currency,
            code: 'p2p_held',
            flags: { pending: true },
            timeoutSeconds: this.#o.holdSeconds,
            metadata: { from: input.fromUserId, to },
          },
        ],
        { refuseFrozenDebits: true },
      ),
    );
    if (held?.result === 'debit_account_frozen') throw new ChatPayError('user_frozen');
    if (held?.result === 'exceeds_credits' || held?.result === 'debit_account_not_found') {
      throw new ChatPayError('insufficient_funds', { param: 'amount' });
    }
    if (held?.result !== 'ok' && held?.result !== 'exists')
      throw new Error(`held transfer ${input.id}: ${held?.result}`);
    const { rows } = await this.#o.pool.query<{ id: string; to_handle: string; expires_at: Date }>(
      `INSERT INTO held_transfers (id, from_user_id, to_handle, amount, currency, status, expires_at)
       VALUES ($1, $2, $3, $4, $5, 'held', now() + make_interval(secs => $6))
       ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id RETURNING id, to_handle, expires_at`,
      [input.id, input.fromUserId, to, amount.toString(), input.currency, this.#o.holdSeconds],
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

  /**
   * Moves every unexpired hold addressed to one of `handles` into the user's wallets. Each hold's
   * sender is told through a chat notice queued in the same transaction that settles the hold, and
   * only the claim that settles it reports it: two claims racing for one hold tell everyone once.
   * `tellRecipient`: also queue a notice for the person claiming (when they are not in a chat that
   * shows them the claim at once).
   */
  async claim(
    userId: string,
    handles: readonly string[],
    options: { readonly tellRecipient?: boolean } = {},
  ): Promise<Claimed[]> {
    if (handles.length === 0) return [];
    const { rows } = await this.#o.pool.query<HeldRow & { username: string | null }>(
      `SELECT h.id, h.from_user_id, h.to_handle, h.amount::text, h.currency,
         (SELECT i.username FROM user_identities i WHERE i.user_id = h.from_user_id AND i.username IS NOT NULL LIMIT 1) AS username
         FROM held_transfers h WHERE h.to_handle = ANY($1) AND h.status = 'held' AND h.from_user_id <> $2
         ORDER BY h.created_at LIMIT $3`,
      [handles.map(handleOf), userId, claimsMax],
    );
    const claimed: Claimed[] = [];
    for (const row of rows) {
      const one = await this.#claimOne(userId, row, options.tellRecipient ?? false);
      if (one) claimed.push(one);
    }
    return claimed;
  }

  /** One hold: the ledger's linked chain, then the settlement; the claim when this call made it. */
  async #claimOne(
    userId: string,
    row: HeldRow & { username: string | null },
    tellRecipient: boolean,
  ): Promise<Claimed | undefined> {
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
    // Refused because the hold timed out (the ledger voided it, or will): the sender's again. Any
    // other refusal leaves it held, untold, for a later claim or the expiry: the money is still in
    // escrow, and "returned" would tell the sender what is not so yet.
    const post = results[0]?.result;
    if (!done && post !== 'pending_transfer_expired' && post !== 'pending_transfer_already_voided')
      return undefined;
    const money = { amount: formatAmount(amount, row.currency), currency: row.currency };
    const fromLabel = row.username ? `@${row.username}` : row.from_user_id;
    const notices: HeldNotice[] = [];
    if (!done) notices.push(returnedNotice(row, money));
    else {
      notices.push({
        id: `held.claimed:${row.id}`,
        userId: row.from_user_id,
        key: 'held.claimed',
        values: { to: row.to_handle, ...money },
      });
      if (tellRecipient)
        notices.push({
          id: `held.received:${row.id}`,
          userId,
          key: 'held.received',
          values: { from: fromLabel, ...money },
        });
    }
    const settled = await this.#settle(row.id, done ? { claimedBy: userId } : 'returned', notices);
    return settled && done ? { id: row.id, fromUserId: row.from_user_id, fromLabel, ...money } : undefined;
  }

  /**
   * Claims what waits for the phone number a user has proven theirs (the job a trigger on `users`
   * queues when a number money is held for is verified: shared in a chat as one's own). A number
   * typed at registration proves nothing and claims nothing (migration 0019).
   */
  async claimByPhone(userId: string): Promise<Claimed[]> {
    const { rows } = await this.#o.pool.query<{ phone: string | null }>(
      'SELECT phone FROM users WHERE id = $1 AND phone_verified_at IS NOT NULL',
      [userId],
    );
    const phone = rows[0]?.phone;
    return phone ? this.claim(userId, [phone], { tellRecipient: true }) : [];
  }

  /**
   * Marks holds nobody claimed in time as returned (the ledger voided them at their timeout; a claim
   * after it is refused by the ledger), queues a notice to each sender in the same transaction, and
   * says whose they were. At most `expireBatchMax` a call: the job runs every minute.
   */
  async expire(): Promise<{ fromUserId: string; to: string; amount: string; currency: string }[]> {
    return inTransaction(this.#o.pool, async (client) => {
      const { rows } = await client.query<HeldRow>(
        `UPDATE held_transfers SET status = 'returned', settled_at = now()
          WHERE id IN (SELECT id FROM held_transfers
                        WHERE status = 'held' AND expires_at < now() - interval '5 seconds'
                        ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING id, from_user_id, to_handle, amount::text, currency`,
        [expireBatchMax],
      );
      const returned = rows.map((r) => ({
        row: r,
        money: { amount: formatAmount(BigInt(r.amount), r.currency), currency: r.currency },
      }));
      for (const { row, money } of returned) await queueNotice(client, returnedNotice(row, money));
      return returned.map(({ row, money }) => ({
        fromUserId: row.from_user_id,
        to: row.to_handle,
        ...money,
      }));
    });
  }

  /**
   * Settles a hold still `held` and queues `notices`, in one transaction. False when the hold was
   * settled already (by a racing claim, or by `expire`): then nobody is told again.
   */
  async #settle(
    id: string,
    outcome: { readonly claimedBy: string } | 'returned',
    notices: readonly HeldNotice[],
  ): Promise<boolean> {
    return inTransaction(this.#o.pool, async (client) => {
      const claimedBy = outcome === 'returned' ? null : outcome.claimedBy;
      const { rowCount } = await client.query(
        `UPDATE held_transfers SET status = $2, claimed_by = $3, settled_at = now()
          WHERE id = $1 AND status = 'held'`,
        [id, claimedBy ? 'claimed' : 'returned', claimedBy],
      );
      const settled = rowCount === 1;
      if (settled) for (const notice of notices) await queueNotice(client, notice);
      return settled;
    });
  }
}

interface HeldRow {
  id: string;
  from_user_id: string;
  to_handle: string;
  amount: string;
  currency: string;
}

/**
 * A message for a person in chat: the payload of a `chat_notice` job, which the channels deliver
 * (src/channels/flows/notices.ts reads it). `id` is unique per notice: a chat gets each id once.
 */
interface HeldNotice {
  readonly id: string;
  readonly userId: string;
  readonly key: 'held.claimed' | 'held.received' | 'held.returned';
  readonly values: Readonly<Record<string, string>>;
}

function returnedNotice(row: HeldRow, money: { amount: string; currency: string }): HeldNotice {
  return {
    id: `held.returned:${row.id}`,
    userId: row.from_user_id,
    key: 'held.returned',
    values: { to: row.to_handle, ...money },
  };
}

/** Under the key every chat notice's job has (`notice:<id>`, as src/channels/flows/notices.ts). */
function queueNotice(client: PoolClient, notice: HeldNotice): Promise<void> {
  return enqueue(client, 'chat_notice', { ...notice }, { jobKey: `notice:${notice.id}` });
}
