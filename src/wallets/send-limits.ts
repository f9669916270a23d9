/**
 * KYC-level limits on what a person sends to others: transfers and held transfers. Opt-in per
 * currency and level, by `KYC_LIMITS` rules with `"direction": "transfer"` (rules without a direction
 * keep meaning deposits and withdrawals). A currency no rule names costs a send nothing.
 *
 * Where a rule applies, the send runs under a per-person, per-currency advisory lock held until its
 * ledger transfer has committed: the last 24 hours' sends are summed, the level read, and the limits
 * checked one request at a time, so parallel sends can't each slip under the daily limit. The sum
 * counts transfers and holds from the person's wallet, not holds that were voided (a held transfer
 * that expired or was cancelled), and never the send's own id, so a retry of a committed send is
 * answered, not refused.
 */
import { inTransaction, type Pool } from '../db/pool.ts';
import type { KycLimits } from '../payments/limits.ts';
import type { KycLevel } from '../users/index.ts';
import { walletAccountId } from './wallets.ts';

export interface SendLimitsCheck {
  readonly userId: string;
  readonly currency: string;
  readonly amount: bigint;
  /** The ledger transfer this send creates: excluded from what was already sent. */
  readonly transferId: string;
}

export async function withinSendLimits<T>(
  pool: Pool,
  kyc: KycLimits | undefined,
  check: SendLimitsCheck,
  send: () => Promise<T>,
): Promise<T> {
  if (!kyc?.guards('transfer', check.currency)) return send();
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `limit:${check.userId}:transfer:${check.currency}`,
    ]);
    const { rows } = await client.query<{ kyc_level: KycLevel; used: string | null }>({
      name: 'send_limits_used',
      text: `SELECT u.kyc_level, (
                SELECT sum(t.amount)::text FROM ledger_transfers t
                 WHERE t.debit_account_id = $2 AND t.code IN ('p2p', 'p2p_held')
                   AND t.kind IN ('posted', 'pending') AND t.created_at > now() - interval '24 hours'
                   AND t.id <> $3
                   AND NOT EXISTS (SELECT 1 FROM ledger_transfers v
                                    WHERE v.pending_id = t.id AND v.kind = 'void_pending')) AS used
               FROM users u WHERE u.id = $1`,
      values: [check.userId, walletAccountId(check.userId, check.currency), check.transferId],
    });
    const used = BigInt(rows[0]?.used ?? '0');
    kyc.checkAmounts(rows[0]?.kyc_level ?? 'none', check.currency, 'transfer', check.amount, used);
    return send();
  });
}
