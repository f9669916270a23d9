import type { Pool } from '../db/pool.ts';
import { ChatPayError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { type AccountResult, createAccounts, getAccounts } from './accounts.ts';
import type { BatchCall, EngineTransferInput } from './apply.ts';
import { balancesAt } from './balances.ts';
import { type BatchStats, LedgerEngine } from './engine.ts';
import { type TransferRow, toTransfer, transferColumns } from './rows.ts';
import { expiryTransferId } from './rules.ts';
import type {
  Account,
  AccountBalances,
  AccountInput,
  CreateTransfersOptions,
  Transfer,
  TransferInput,
  TransferResult,
} from './types.ts';
import { type Violation, verifyLedger } from './verify.ts';

export interface LedgerOptions {
  readonly pool: Pool;
  /**
   * Connections for the batching engine alone, so batches never queue behind request traffic for a
   * pooled connection (default: `pool`).
   */
  readonly enginePool?: Pool;
  readonly logger: Logger;
  readonly batchTransfersMax: number;
  readonly queueTransfersMax: number;
  readonly batchesInFlightMax: number;
  /** How often expired holds are voided; 0 turns the sweeper off (tests drive `expirePending`). */
  readonly expiryIntervalMs: number;
}

export interface ReverseInput {
  /** The new, reversing transfer's id. */
  readonly id: string;
  /** The posted transfer to mirror. */
  readonly transferId: string;
  readonly code?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

const expiryBatchMax = 1000;
// Holds that expired more than this long before the previous sweep were voided by it (or are being
// retried): later sweeps look only at the recent part of the expiry index.
const expiryLookbackMs = 60_000;

/** The ledger's one entry point: accounts, transfers through the batching engine, balances, checks. */
export class Ledger {
  readonly #pool: Pool;
  readonly #logger: Logger;
  readonly #engine: LedgerEngine;
  readonly #expiryIntervalMs: number;
  #expiryTimer: NodeJS.Timeout | undefined;
  #expiryWatermark: Date | undefined;
  #expiring: Promise<number> | undefined;

  constructor(options: LedgerOptions) {
    this.#pool = options.pool;
    this.#logger = options.logger;
    this.#expiryIntervalMs = options.expiryIntervalMs;
    this.#engine = new LedgerEngine({ ...options, pool: options.enginePool ?? options.pool });
  }

  /** Starts the expiry sweeper. */
  start(): void {
    if (this.#expiryIntervalMs <= 0 || this.#expiryTimer) return;
    const tick = () => {
      this.expirePending()
        .catch((error) => this.#logger.warn({ err: error }, 'ledger expiry sweep failed'))
        .finally(() => {
          if (this.#expiryTimer) this.#expiryTimer = setTimeout(tick, this.#expiryIntervalMs).unref();
        });
    };
    this.#expiryTimer = setTimeout(tick, this.#expiryIntervalMs).unref();
  }

  /** Stops the sweeper and waits for queued transfers to commit. */
  async close(): Promise<void> {
    clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
    await this.#expiring?.catch(() => undefined);
    await this.#engine.close();
  }

  createAccounts(accounts: readonly AccountInput[]): Promise<AccountResult[]> {
    return createAccounts(this.#pool, accounts);
  }

  async getAccount(id: string): Promise<Account | undefined> {
    return (await getAccounts(this.#pool, [id])).get(id);
  }

  getAccounts(ids: readonly string[]): Promise<Map<string, Account>> {
    return getAccounts(this.#pool, ids);
  }

  /**
   * Applies transfers in order, each on its own except where `linked` chains them. Resolves with one
   * result per transfer; rejects only when the batch could not commit (then nothing of it did, and a
   * retry with the same ids is safe).
   */
  createTransfers(
    transfers: readonly TransferInput[],
    options: CreateTransfersOptions = {},
  ): Promise<TransferResult[]> {
    // Copy the public fields only: `reversesId` is the engine's, not a caller's.
    const alongside = options.alongside;
    // Its name goes into the statement's text: a plain identifier only.
    if (alongside && !/^[a-z_][a-z0-9_]*$/.test(alongside.fn)) {
      return Promise.reject(new Error(`not a plain SQL function name: ${alongside.fn}`));
    }
    const call: BatchCall = {
      transfers: transfers.map(publicFields),
      ...(options.refuseFrozenDebits === true ? { refuseFrozenDebits: true } : {}),
      ...(alongside ? { alongside } : {}),
    };
    return this.#engine.submit(call);
  }

  async getTransfer(id: string): Promise<Transfer | undefined> {
    const { rows } = await this.#pool.query<TransferRow>(
      `SELECT ${transferColumns} FROM ledger_transfers WHERE id = $1`,
      [id],
    );
    return rows[0] ? toTransfer(rows[0]) : undefined;
  }

  /** Posts the mirror image of a posted transfer, at most once per transfer. */
  async reverse(input: ReverseInput): Promise<TransferResult> {
    const original = await this.getTransfer(input.transferId);
    if (!original) throw new ChatPayError('ledger_transfer_not_found', { param: 'transferId' });
    if (original.kind !== 'posted' && original.kind !== 'post_pending') {
      throw new ChatPayError('ledger_transfer_not_reversible', { param: 'transferId' });
    }
    const mirror: EngineTransferInput = {
      id: input.id,
      debitAccountId: original.creditAccountId,
      creditAccountId: original.debitAccountId,
      amount: original.amount,
      currency: original.currency,
      code: input.code ?? 'reversal',
      metadata: { ...input.metadata, reverses: original.id },
      reversesId: original.id,
    };
    const [result] = await this.#engine.submit({ transfers: [mirror] });
    return result as TransferResult;
  }

  balancesAt(accountId: string, at: Date): Promise<AccountBalances> {
    return balancesAt(this.#pool, accountId, at);
  }

  verify(): Promise<Violation[]> {
    return verifyLedger(this.#pool);
  }

  onBatch(listener: (stats: BatchStats) => void): () => void {
    return this.#engine.onBatch(listener);
  }

  /** Voids every pending transfer whose timeout has passed. Returns how many it voided. */
  expirePending(): Promise<number> {
    this.#expiring ??= this.#sweep().finally(() => {
      this.#expiring = undefined;
    });
    return this.#expiring;
  }

  async #sweep(): Promise<number> {
    let voided = 0;
    for (;;) {
      const { rows } = await this.#pool.query<{ id: string; now: Date }>(
        `SELECT p.id, clock_timestamp() AS now FROM ledger_transfers p
          WHERE p.expires_at <= clock_timestamp() AND p.expires_at >= $1
            AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = p.id)
          ORDER BY p.expires_at LIMIT ${expiryBatchMax}`,
        [this.#expiryWatermark ?? new Date(0)],
      );
      if (rows.length === 0) break;
      const results = await this.#engine.submit({
        expiring: true,
        transfers: rows.map((row) => ({
          id: expiryTransferId(row.id),
          pendingId: row.id,
          flags: { voidPending: true },
          code: 'expired',
        })),
      });
      voided += results.filter((r) => r.result === 'ok').length;
      const stuck = results.filter(
        (r) => !['ok', 'exists', 'pending_transfer_already_posted'].includes(r.result),
      );
      if (stuck.length > 0) {
        this.#logger.error({ stuck }, 'pending transfers could not be expired');
        return voided;
      }
      if (rows.length < expiryBatchMax) {
        const now = rows[0]?.now ?? new Date();
        this.#expiryWatermark = new Date(now.getTime() - expiryLookbackMs);
        break;
      }
    }
    return voided;
  }
}

function publicFields(t: TransferInput): TransferInput {
  const copy: { -readonly [K in keyof TransferInput]: TransferInput[K] } = { id: t.id };
  if (t.debitAccountId !== undefined) copy.debitAccountId = t.debitAccountId;
  if (t.creditAccountId !== undefined) copy.creditAccountId = t.creditAccountId;
  if (t.amount !== undefined) copy.amount = t.amount;
  if (t.currency !== undefined) copy.currency = t.currency;
  if (t.code !== undefined) copy.code = t.code;
  if (t.flags !== undefined) copy.flags = t.flags;
  if (t.pendingId !== undefined) copy.pendingId = t.pendingId;
  if (t.timeoutSeconds !== undefined) copy.timeoutSeconds = t.timeoutSeconds;
  if (t.metadata !== undefined) copy.metadata = t.metadata;
  return copy;
}

export type { Violation };
