/** What each job does: one line per job, each calling the domain service that owns the work. */
import { purgeNoticeDeliveries } from '../channels/flows/index.ts';
import type { JobName } from '../db/jobs.ts';
import type { Pool } from '../db/pool.ts';
import { purgeOlderThan } from '../db/purge.ts';
import type { MerchantWebhooks } from '../merchants/index.ts';
import type { Payments } from '../payments/index.ts';
import type { EventBus } from '../realtime/index.ts';
import { aggregateDailyStatsJob } from '../reports/index.ts';
import { newId } from '../shared/ids.ts';
import type { HeldTransfers } from '../wallets/index.ts';

export interface TaskServices {
  readonly pool: Pool;
  readonly payments: Payments;
  /** Money held for people not on ChatPay yet (absent: nothing to expire here). */
  readonly held?: HeldTransfers | undefined;
  readonly events?: EventBus | undefined;
  readonly merchantWebhooks: MerchantWebhooks;
  /**
   * Handles Telegram updates received by webhook, and delivers chat notices (absent: such jobs fail
   * and wait for a worker with a bot).
   */
  readonly telegram?:
    | {
        handleUpdate(update: never): Promise<void>;
        deliverNotice?(payload: Record<string, unknown>): Promise<void>;
      }
    | undefined;
  readonly purgeIdempotencyKeys: () => Promise<unknown>;
}

const id = (payload: Record<string, unknown>): string => {
  if (typeof payload.id !== 'string') throw new Error('job payload without an id');
  return payload.id;
};

/** Telegram redelivers for at most a day; a week of records is ample to recognise a duplicate. */
const chatUpdatesRetentionHours = 7 * 24;

export function taskHandlers(
  services: TaskServices,
): Record<JobName, (payload: Record<string, unknown>) => Promise<unknown>> {
  return {
    webhook_apply: (payload) => services.payments.applyWebhook(id(payload)),
    payout_send: (payload) => services.payments.sendPayout(id(payload)),
    merchant_webhook_deliver: (payload) => services.merchantWebhooks.deliver(id(payload)),
    telegram_update: async (payload) => {
      if (!services.telegram) throw new Error('a Telegram update, but this worker runs no Telegram bot');
      await services.telegram.handleUpdate(payload.update as never);
    },
    chat_notice: async (payload) => {
      if (!services.telegram?.deliverNotice) throw new Error('a chat notice, but this worker runs no bot');
      await services.telegram.deliverNotice(payload);
    },
    payments_reconcile: () => services.payments.reconcile(),
    held_transfers_expire: async () => {
      for (const returned of (await services.held?.expire()) ?? []) {
        await services.events
          ?.publish(returned.fromUserId, {
            id: newId('evt'),
            type: 'transfer.returned',
            created_at: new Date().toISOString(),
            data: { to: returned.to, amount: returned.amount, currency: returned.currency },
          })
          .catch(() => undefined);
      }
    },
    // Money held for a phone number that a user now has (queued by a trigger on users).
    held_transfers_claim: async (payload) => {
      if (!services.held) throw new Error('a held-transfer claim, but this worker has no held transfers');
      if (typeof payload.user_id !== 'string') throw new Error('job payload without a user_id');
      await services.held.claimByPhone(payload.user_id);
    },
    // Hourly housekeeping: expired idempotency keys, and chat update records past any redelivery.
    idempotency_purge: async () => {
      await services.purgeIdempotencyKeys();
      await purgeOlderThan(services.pool, 'chat_updates', 'handled_at', chatUpdatesRetentionHours);
      await purgeNoticeDeliveries(services.pool);
    },
    daily_stats_aggregate: (payload) =>
      aggregateDailyStatsJob(services.pool, services.payments.context.settings.walletsMode, payload),
  };
}

/** Scheduled jobs. `?fill=` is not set: a missed minute is not run twice after downtime. */
export const crontab = [
  '* * * * * payments_reconcile ?max=1',
  '* * * * * held_transfers_expire ?max=1',
  '17 * * * * idempotency_purge ?max=1',
  // The dashboard's aggregates: today's and yesterday's every minute; hourly the last 35 days too,
  // for payments that settle or get approved days after they began.
  '* * * * * daily_stats_aggregate ?max=1',
  '41 * * * * daily_stats_aggregate ?id=daily_stats_aggregate_35d&max=1 {days: 35}',
].join('\n');
