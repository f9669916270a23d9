/**
 * The Telegram adapter, on grammY: turns updates into flow events, hands them to the flow engine,
 * and renders its replies as messages with inline keyboards. `TELEGRAM_API_ROOT` points grammY at
 * another Bot API server (a self-hosted one, or our sandbox). Calls that meet a 429 are retried after
 * Telegram's `retry_after` (auto-retry), a network error a few times within a second; each person is
 * also held to a rate of updates.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { autoRetry } from '@grammyjs/auto-retry';
import { Api, Bot, type Context, GrammyError, HttpError, type Transformer } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import type { Pool } from '../../db/pool.ts';
import type { EventBus } from '../../realtime/index.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Users } from '../../users/index.ts';
import type { Language, OutMessage } from '../flows/index.ts';
import {
  commandNames,
  type EngineResult,
  type FlowEngine,
  type IncomingUpdate,
  languages,
  t,
} from '../flows/index.ts';
import { errorForQueue, telegramErrorForLog } from './errors.ts';
import { Notifier } from './notifier.ts';
import type { WebhookReplySlot } from './webhook-reply.ts';

/** Auto-retry: a 429's `retry_after` up to a minute (longer: the caller decides), 5xx three times. */
const retry = { maxRetryAttempts: 3, maxDelaySeconds: 60 } as const;
/**
 * Replies meet a network error (Telegram out of reach) this many times, the first retry after this
 * delay and doubling. Someone is waiting for the answer; auto-retry alone retries network errors
 * without end (3 s, 6 s, … up to an hour apart), holding the update's work all that time.
 */
const replyNetworkAttempts = 3;
const replyNetworkDelayMs = 250;

/** A transformer that retries a call failing with a network error (`HttpError`) `attempts` times in all. */
function retryNetworkErrors(attempts: number, firstDelayMs: number): Transformer {
  return async (prev, method, payload, signal) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await prev(method, payload, signal);
      } catch (error) {
        if (!(error instanceof HttpError) || attempt >= attempts || signal?.aborted) throw error;
        await sleep(firstDelayMs * 2 ** (attempt - 1));
      }
    }
  };
}

export interface TelegramBotOptions {
  readonly token: string;
  readonly apiRoot: string;
  readonly engine: FlowEngine;
  readonly logger: Logger;
  /** Known bot identity (skips getMe at start; tests and the sandbox provide it). */
  readonly botInfo?: UserFromGetMe | undefined;
  /**
   * With `users` and `pool`, the bot delivers chat notices (money received, deposit and withdrawal
   * outcomes, held money claimed or returned: `deliverNotice`, called by the job worker), within
   * Telegram's limits; with `events` too, it queues notices for the money news on the event bus.
   */
  readonly users?: Users | undefined;
  readonly pool?: Pool | undefined;
  readonly events?: EventBus | undefined;
  /** Updates one person may send in a 10-second window before being asked to slow down. */
  readonly updatesPerUserPer10s?: number;
}

export class TelegramBot {
  readonly bot: Bot;
  readonly #o: TelegramBotOptions;
  readonly #recent = new Map<number, number[]>();
  readonly #notifier: Notifier | undefined;
  /** The webhook-reply slot of each update being handled in a webhook request, by update object. */
  readonly #slots = new WeakMap<object, WebhookReplySlot>();

  constructor(options: TelegramBotOptions) {
    this.#o = options;
    this.bot = new Bot(options.token, {
      client: { apiRoot: options.apiRoot },
      ...(options.botInfo ? { botInfo: options.botInfo } : {}),
    });
    // The polling loop retries getUpdates itself; every other call gives up after a few tries.
    this.bot.api.config.use(
      autoRetry({ ...retry, rethrowHttpErrors: true }),
      retryNetworkErrors(replyNetworkAttempts, replyNetworkDelayMs),
    );
    this.bot.on(['message:text', 'message:contact', 'callback_query:data'], (ctx) => this.#handle(ctx));
    this.bot.catch((error) =>
      this.#o.logger.error({ telegramError: telegramErrorForLog(error.error) }, 'telegram update failed'),
    );
    if (options.users && options.pool) {
      // Notices have the job queue to retry them, so a network error goes back to it at once rather
      // than holding the job while Telegram is out of reach.
      const api = new Api(options.token, { apiRoot: options.apiRoot });
      api.config.use(autoRetry({ ...retry, rethrowHttpErrors: true }));
      this.#notifier = new Notifier({
        api,
        users: options.users,
        pool: options.pool,
        logger: options.logger,
      });
      if (options.events) this.#notifier.listen(options.events);
    }
  }

  /** Registers the commands in every language (the default list is English). */
  async registerCommands(): Promise<void> {
    for (const language of languages) {
      const commands = commandNames.map((name) => ({
        command: name,
        description: t(language, `cmd.${name}`),
      }));
      await this.bot.api.setMyCommands(commands, language === 'en' ? {} : { language_code: language });
    }
  }

  /** Long polling (`chatpay bot`, or `chatpay start` with a token or the sandbox). */
  async startPolling(): Promise<void> {
    await this.bot.init();
    await this.bot.api.deleteWebhook();
    void this.bot.start({ allowed_updates: ['message', 'callback_query'], drop_pending_updates: false });
  }

  async stop(): Promise<void> {
    this.#notifier?.stop();
    if (this.bot.isRunning()) await this.bot.stop();
  }

  /**
   * Sends a queued chat notice (a `chat_notice` job's payload) to the person's Telegram chats. What
   * it throws goes to the job queue's logs: no error carrying the token (`errorForQueue`).
   */
  async deliverNotice(payload: Readonly<Record<string, unknown>>): Promise<void> {
    if (!this.#notifier) throw new Error('this bot delivers no notices (it was given no users and pool)');
    await this.#notifier.deliver(payload).catch((error: unknown) => {
      throw errorForQueue(error);
    });
  }

  /**
   * Handles one update as received through the webhook (after the job queue hands it over, or
   * inline). Inline, `reply` is the webhook request's answer, which can carry one call (see
   * webhook-reply.ts). grammY throws a `BotError` holding the context, and so the token: not to the queue.
   */
  async handleUpdate(update: Update, reply?: WebhookReplySlot): Promise<void> {
    if (!this.bot.isInited()) await this.bot.init();
    if (reply) this.#slots.set(update, reply);
    try {
      await this.bot.handleUpdate(update);
    } catch (error) {
      throw errorForQueue(error);
    } finally {
      this.#slots.delete(update);
    }
  }

  async #handle(ctx: Context): Promise<void> {
    const incoming = toIncoming(ctx);
    if (!incoming) return;
    const slot = this.#slots.get(ctx.update);
    // Stops the button's spinner. Its failure changes nothing, so it may go in the webhook's answer;
    // otherwise it goes at once, and the rest need not wait for it.
    const query = ctx.callbackQuery;
    if (query && !slot?.offer('answerCallbackQuery', { callback_query_id: query.id }))
      void ctx.answerCallbackQuery().catch(() => undefined);
    const allowance = this.#allow(Number(incoming.from.externalId));
    if (allowance !== 'ok') {
      // Told once per burst; the rest of the burst is dropped without a word.
      const code = incoming.from.languageCode?.slice(0, 2);
      const language: Language = code === 'am' || code === 'sw' ? code : 'en';
      if (allowance === 'first_over' && ctx.chat)
        await ctx.api.sendMessage(ctx.chat.id, t(language, 'slow_down')).catch(() => undefined);
      return;
    }
    const result = await this.#o.engine.handle(incoming);
    if (result.duplicate) return;
    if (result.deleteIncoming && ctx.message) {
      await ctx.deleteMessage().catch(() => undefined);
    }
    const last = result.replies.length - 1;
    for (const [i, reply] of result.replies.entries()) {
      // Only the last reply: Telegram runs the webhook's call after the answer, so after every request
      // made while handling, and the person still reads the replies in order.
      if (i === last && result.informational && slot && this.#offer(slot, ctx, reply, result.language)) break;
      await this.#send(ctx, reply, result.language);
    }
  }

  /** Offers a reply that is a new message (not an edit) to the webhook's answer. */
  #offer(slot: WebhookReplySlot, ctx: Context, reply: OutMessage, language: Language): boolean {
    const chatId = ctx.chat?.id;
    if (chatId === undefined || (reply.replace && ctx.callbackQuery?.message)) return false;
    const markup = replyMarkup(reply, language);
    return slot.offer('sendMessage', {
      chat_id: chatId,
      text: reply.text,
      ...(markup ? { reply_markup: markup } : {}),
    });
  }

  async #send(ctx: Context, reply: OutMessage, language: Language): Promise<void> {
    const chatId = ctx.chat?.id;
    if (chatId === undefined) return;
    const markup = replyMarkup(reply, language);
    const pressed = ctx.callbackQuery?.message;
    if (reply.replace && pressed && !reply.requestContact) {
      try {
        const inline = inlineMarkup(reply);
        await ctx.api.editMessageText(
          chatId,
          pressed.message_id,
          reply.text,
          inline ? { reply_markup: inline } : {},
        );
        return;
      } catch (error) {
        if (!(error instanceof GrammyError)) throw error;
        if (error.description.includes('message is not modified')) return;
        // Too old to edit, or deleted: send it anew.
      }
    }
    await ctx.api.sendMessage(chatId, reply.text, markup ? { reply_markup: markup } : {});
  }

  #allow(userId: number): 'ok' | 'first_over' | 'over' {
    const limit = this.#o.updatesPerUserPer10s ?? 30;
    const now = Date.now();
    const recent = (this.#recent.get(userId) ?? []).filter((at) => now - at < 10_000);
    recent.push(now);
    this.#recent.set(userId, recent);
    if (this.#recent.size > 10_000) this.#recent.clear();
    if (recent.length <= limit) return 'ok';
    return recent.length === limit + 1 ? 'first_over' : 'over';
  }
}

export function replyMarkup(reply: OutMessage, language: Language) {
  if (reply.requestContact) {
    return {
      keyboard: [[{ text: t(language, 'btn.share_contact'), request_contact: true }]],
      one_time_keyboard: true,
      resize_keyboard: true,
    };
  }
  return inlineMarkup(reply);
}

function inlineMarkup(reply: OutMessage) {
  if (!reply.buttons?.length) return undefined;
  return {
    inline_keyboard: reply.buttons.map((row) =>
      row.map((b) =>
        b.url ? { text: b.label, url: b.url } : { text: b.label, callback_data: b.data ?? '' },
      ),
    ),
  };
}

/** The flow event in a Telegram update, or undefined for updates the bot ignores. */
export function toIncoming(ctx: Context): IncomingUpdate | undefined {
  const from = ctx.from;
  const chat = ctx.chat;
  if (!from || !chat || chat.type !== 'private') return undefined;
  const base = {
    channel: 'telegram' as const,
    updateId: String(ctx.update.update_id),
    chatId: String(chat.id),
    from: {
      externalId: String(from.id),
      username: from.username,
      firstName: from.first_name,
      lastName: from.last_name,
      languageCode: from.language_code,
    },
  };
  const data = ctx.callbackQuery?.data;
  if (data !== undefined) return { ...base, event: { type: 'button', data } };
  const contact = ctx.message?.contact;
  if (contact) {
    // Telegram sets the contact's user_id to the account with that number: the sender's own, when
    // it is theirs (the request_contact button, or their own card).
    const event = {
      type: 'contact' as const,
      phone: contact.phone_number,
      own: contact.user_id === from.id,
      externalId: contact.user_id === undefined ? undefined : String(contact.user_id),
    };
    return { ...base, event };
  }
  const text = ctx.message?.text;
  if (text === undefined) return undefined;
  const command = /^\/([a-z_]+)(?:@\w+)?(?:\s+(.*))?$/s.exec(text.trim());
  if (command)
    return { ...base, event: { type: 'command', name: command[1] as string, args: command[2] ?? '' } };
  return { ...base, event: { type: 'text', text } };
}

export type { EngineResult };
