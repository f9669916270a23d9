/**
 * The job worker as `chatpay start` runs it beside a bot: payments' jobs, Telegram updates, chat
 * notices and held-money claims, on the test database. `bot()` is read for each job, so a test can
 * replace its bot (a restart) under a running worker.
 */
import { afterAll } from 'vitest';
import type { TelegramBot } from '../../src/channels/telegram/bot.ts';
import { startWorker, taskHandlers, type Worker } from '../../src/jobs/index.ts';
import type { TestApi } from '../helpers/api.ts';
import { quietLogger } from '../helpers/database.ts';

export async function chatWorker(api: TestApi, bot: () => TelegramBot | undefined): Promise<Worker> {
  const worker = await startWorker({
    pool: api.database.pool,
    logger: quietLogger,
    concurrency: 4,
    crontab: '',
    pollIntervalMs: 200,
    tasks: taskHandlers({
      pool: api.database.pool,
      payments: api.services.payments,
      held: api.services.held,
      events: api.services.events,
      merchantWebhooks: api.services.merchantWebhooks,
      telegram: {
        handleUpdate: async (update) => bot()?.handleUpdate(update),
        deliverNotice: async (payload) => {
          const current = bot();
          if (!current) throw new Error('no bot running');
          await current.deliverNotice(payload);
        },
      },
      purgeIdempotencyKeys: async () => 0,
    }),
  });
  let stopped = false;
  afterAll(async () => {
    if (!stopped) await worker.stop();
  });
  return {
    async stop() {
      stopped = true;
      await worker.stop();
    },
  };
}
