/**
 * What every Telegram test starts from: the payments harness, the Bot API sandbox, a pool for the
 * flow engines' sessions, and bots on them (grammY over HTTP to the sandbox), each closed after the
 * file's tests.
 */
import { afterAll } from 'vitest';
import { TelegramBot, type TelegramBotOptions } from '../../src/channels/telegram/bot.ts';
import {
  type SandboxUser,
  startTelegramSandbox,
  type TelegramSandbox,
} from '../../src/channels/telegram/sandbox.ts';
import type { TestApi } from '../helpers/api.ts';
import { quietLogger } from '../helpers/database.ts';
import { testFlowEngine, testSessionPool } from '../helpers/flows.ts';
import { type HarnessOptions, type PaymentsHarness, paymentsHarness } from '../helpers/payments.ts';

export interface TelegramHarness {
  readonly harness: PaymentsHarness;
  readonly api: TestApi;
  readonly telegram: TelegramSandbox;
  /**
   * A bot process on the sandbox that delivers chat notices (`users`, `pool`) and lets the tests type
   * faster than a person; `options` adds to or overrides that (`events` to queue notices too).
   */
  makeBot(options?: Partial<TelegramBotOptions>): TelegramBot;
}

export async function telegramHarness(options: HarnessOptions = {}): Promise<TelegramHarness> {
  const harness = await paymentsHarness(options);
  const { api } = harness;
  const telegram = await startTelegramSandbox();
  afterAll(() => telegram.close());
  const sessionPool = testSessionPool(api, 8);
  return {
    harness,
    api,
    telegram,
    makeBot(extra = {}) {
      const bot = new TelegramBot({
        token: telegram.token,
        apiRoot: telegram.url,
        // Its own engine, as a process of its own has; the sessions' pool is shared.
        engine: testFlowEngine(api, { sessionPool }),
        logger: quietLogger,
        botInfo: telegram.botInfo,
        updatesPerUserPer10s: 10_000,
        users: api.services.users,
        pool: api.database.pool,
        ...extra,
      });
      // Registered after the pool's: runs before it (vitest runs after-hooks last first).
      afterAll(() => bot.stop());
      return bot;
    },
  };
}

/** A command as Telegram would deliver it from `person`, for handing to a bot directly or injecting. */
export function commandUpdate(person: SandboxUser, updateId: number, command: string, messageId = 1) {
  const name = { first_name: person.firstName, ...(person.username ? { username: person.username } : {}) };
  return {
    update_id: updateId,
    message: {
      message_id: messageId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: person.chatId, type: 'private' as const, ...name },
      from: { id: person.id, is_bot: false, ...name },
      text: command,
      entities: [{ type: 'bot_command' as const, offset: 0, length: command.length }],
    },
  };
}
