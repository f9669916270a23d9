import { Batcher } from '../db/batcher.ts';
import type { Pool } from '../db/pool.ts';
import type { AccountBalances, Ledger } from '../ledger/index.ts';
import { availableBalance } from '../ledger/index.ts';
import { type BalanceRow, balanceColumns, toBalances } from '../ledger/rows.ts';
import { findCurrency } from '../shared/currencies.ts';
import { formatAmount } from '../shared/money.ts';
import { freezeNewWallet } from '../users/freeze.ts';

/** A user's wallet in one currency is the ledger account with this id: derived, so it needs no lookup. */
export function walletAccountId(userId: string, currency: string): string {
  return `wal_${userId.replace(/^usr_/, '')}_${currency}`;
}

export interface WalletView {
  readonly id: string;
  readonly object: 'wallet';
  readonly currency: string;
  /** What the owner can spend now: posted balance less outgoing holds. */
  readonly available: string;
  /** Settled balance: posted credits less posted debits. */
  readonly posted: string;
  readonly pending: { readonly incoming: string; readonly outgoing: string };
}

export function walletView(id: string, currency: string, account: AccountBalances | undefined): WalletView {
  const zero = formatAmount(0n, currency);
  if (!account)
    return {
      id,
      object: 'wallet',
      currency,
      available: zero,
      posted: zero,
      pending: { incoming: zero, outgoing: zero },
    };
  return {
    id,
    object: 'wallet',
    currency,
    available: formatAmount(availableBalance(account), currency),
    posted: formatAmount(account.creditsPosted - account.debitsPosted, currency),
    pending: {
      incoming: formatAmount(account.creditsPending, currency),
      outgoing: formatAmount(account.debitsPending, currency),
    },
  };
}

// The most frequent read of the API: only what a wallet shows (metadata and dates are never parsed).
const walletColumns = `id, currency, owner_id, ${balanceColumns}`;

interface WalletRow extends BalanceRow {
  id: string;
  currency: string;
  owner_id: string;
}

export class Wallets {
  readonly #pool: Pool;
  readonly #ledger: Ledger;
  readonly #lists: Batcher<string, WalletView[]>;

  constructor(pool: Pool, ledger: Ledger) {
    this.#pool = pool;
    this.#ledger = ledger;
    // The most frequent read of the API: the lists asked for at one moment come from one statement.
    this.#lists = new Batcher({
      inFlightMax: 2,
      one: (userId) => this.#listOne(userId),
      run: (userIds) => this.#listMany(userIds),
    });
  }

  /** Creates the user's wallet in `currency` if it does not exist yet (idempotent). */
  async ensure(userId: string, currency: string): Promise<string> {
    const id = walletAccountId(userId, currency);
    const [result] = await this.#ledger.createAccounts([
      { id, currency, kind: 'wallet', ownerId: userId, flags: { debitsMustNotExceedCredits: true } },
    ]);
    if (result?.result !== 'ok' && result?.result !== 'exists')
      throw new Error(`wallet ${id}: ${result?.result}`);
    // A frozen user's new wallet is frozen too (a freeze froze only the wallets that existed then).
    if (result.result === 'ok') await freezeNewWallet(this.#pool, userId);
    return id;
  }

  list(userId: string): Promise<WalletView[]> {
    return this.#lists.submit(userId);
  }

  async #listOne(userId: string): Promise<WalletView[]> {
    const { rows } = await this.#pool.query<WalletRow>({
      name: 'wallets_list',
      text: `SELECT ${walletColumns} FROM ledger_accounts WHERE owner_id = $1 AND kind = 'wallet' ORDER BY currency`,
      values: [userId],
    });
    return rows.map((row) => walletView(row.id, row.currency, toBalances(row)));
  }

  async #listMany(userIds: readonly string[]): Promise<WalletView[][]> {
    const { rows } = await this.#pool.query<WalletRow>({
      name: 'wallets_list_batch',
      text: `SELECT ${walletColumns} FROM ledger_accounts
              WHERE owner_id = ANY($1::text[]) AND kind = 'wallet' ORDER BY currency`,
      values: [userIds],
    });
    const byOwner = new Map<string, WalletView[]>(userIds.map((id) => [id, []]));
    for (const row of rows)
      byOwner.get(row.owner_id)?.push(walletView(row.id, row.currency, toBalances(row)));
    return userIds.map((id) => byOwner.get(id) as WalletView[]);
  }

  /** The wallet in one currency; one that was never used shows zero balances. */
  async get(userId: string, currency: string): Promise<WalletView | undefined> {
    if (!findCurrency(currency)) return undefined;
    const id = walletAccountId(userId, currency);
    return walletView(id, currency, await this.#ledger.getAccount(id));
  }

  /** Ids of the user's wallet accounts. */
  async accountIds(userId: string): Promise<string[]> {
    const { rows } = await this.#pool.query<{ id: string }>(
      `SELECT id FROM ledger_accounts WHERE owner_id = $1 AND kind = 'wallet'`,
      [userId],
    );
    return rows.map((r) => r.id);
  }
}
