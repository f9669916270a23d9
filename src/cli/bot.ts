/**
 * Wiring for the Telegram bot: the flow engine on its own session connections, the grammY adapter
 * against Telegram (or, in development without a token, against a local Bot API sandbox that also
 * serves the chat simulator), and the notifier: it queues notices for the money news on the event
 * bus, and delivers queued notices when the job worker hands them over.
 */
import type { ApiServices } from '../api/context.ts';
import { FlowEngine } from '../channels/flows/index.ts';
import { TelegramBot } from '../channels/telegram/bot.ts';
import { startTelegramSandbox } from '../channels/telegram/sandbox.ts';
import type { Config } from '../config/schema.ts';
import { createPool } from '../db/pool.ts';
import type { Logger } from '../shared/logger.ts';
import type { Database } from './runtime.ts';

export interface BotHandle {
  readonly bot: TelegramBot;
  /** The chat simulator's page, when the bot runs against the local sandbox. */
  readonly simulatorUrl: string | undefined;
  stop(): Promise<void>;
}

/** Chats handled at once per bot process (each holds one session connection while it runs). */
const sessionConnections = 16;

export async function startBot(
  config: Config,
  database: Database,
  services: ApiServices,
  logger: Logger,
  options: {
    readonly sandbox: boolean;
    readonly publicUrl: string;
    /** `updates`: poll or register the webhook; `jobs-only`: only handle the jobs a worker is given (webhook updates, chat notices). */
    readonly role?: 'updates' | 'jobs-only';
  },
): Promise<BotHandle | undefined> {
  const token = config.telegram.token?.reveal();
  if (!token && !(options.sandbox && config.env !== 'production')) return undefined;
  const sandbox = token
    ? undefined
    : await startTelegramSandbox({ logger: logger.child({ component: 'telegram-sandbox' }) });
  const sessionPool = createPool({
    url: database.url,
    max: sessionConnections,
    statementTimeoutMs: config.database.statementTimeoutMs,
    logger,
    applicationName: 'chatpay-bot',
    // Conversation state commits without waiting for the WAL flush. A crash can forget the last step
    // of a conversation (the person answers again), never money: every money step's id comes from
    // the flow instance, set at its start, so a repeated confirmation finds its transfer done.
    asynchronousCommit: true,
  });
  const engine = new FlowEngine({
    sessionPool,
    services,
    logger: logger.child({ component: 'flows' }),
    sessionTimeoutSeconds: config.telegram.sessionTimeoutSeconds,
  });
  const bot = new TelegramBot({
    token: token ?? sandbox?.token ?? '',
    apiRoot: sandbox?.url ?? config.telegram.apiRoot,
    engine,
    logger: logger.child({ component: 'telegram' }),
    botInfo: sandbox?.botInfo,
    users: services.users,
    pool: services.pool,
    events: services.events,
  });
  const webhookSecret = config.telegram.webhookSecret?.reveal();
  // This process's API receives the webhooks too: handle them here at once (the job stays as backup).
  if (services.telegramInline)
    services.telegramInline.handler = (update, reply) => bot.handleUpdate(update as never, reply);
  if (options.role === 'jobs-only') {
    await bot.bot.init();
  } else if (webhookSecret && !sandbox) {
    await bot.registerCommands();
    await bot.bot.init();
    await bot.bot.api.setWebhook(`${options.publicUrl}/v1/channels/telegram/webhook`, {
      secret_token: webhookSecret,
      allowed_updates: ['message', 'callback_query'],
    });
  } else {
    await bot.registerCommands();
    await bot.startPolling();
  }
  return {
    bot,
    simulatorUrl: sandbox ? `${sandbox.url}/sandbox/chat` : undefined,
    async stop() {
      if (services.telegramInline) services.telegramInline.handler = undefined;
      await bot.stop();
      await sessionPool.end();
      await sandbox?.close();
    },
  };
}
