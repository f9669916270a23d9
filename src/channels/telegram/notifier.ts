/**
 * Chat notices on Telegram (src/channels/flows/notices.ts): money news for people who did not just
 * write to the bot. Listening to the realtime event bus, the notifier queues a notice job for each
 * piece of news; a worker hands each job to `deliver`, which sends it to each of the person's Telegram
 * chats within Telegram's limits: about one message a second per chat and 25 a second overall (the
 * documented 30, with room for replies). A notice whose slot is more than a few seconds away is queued
 * again for then, so one busy chat never holds the worker's slots. A 429 is retried after its
 * `retry_after` by the bot's auto-retry (or, past its minute, queued again for then); a send that
 * fails otherwise, a network error included, is retried by the job.
 */
import { type Api, GrammyError } from 'grammy';
import type { Pool } from '../../db/pool.ts';
import type { EventBus, RealtimeEvent } from '../../realtime/index.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Users } from '../../users/index.ts';
import {
  type ChatNotice,
  enqueueNotice,
  enqueueNoticeForChats,
  isLanguage,
  NoticeDeliveries,
  noticeForEvent,
  noticeOf,
  t,
} from '../flows/index.ts';
import { telegramErrorForLog } from './errors.ts';

/** A little over a second: Telegram (and the sandbox) count arrivals, which jitter. */
const perChatIntervalMs = 1_050;
/** 25 messages a second. */
const globalIntervalMs = 40;
/** Longer than this to the next slot: the notice is queued again for then. */
const waitMaxMs = 3_000;
const pacedChatsMax = 10_000;

type Identity = Awaited<ReturnType<Users['identities']>>[number];

/**
 * Slots for messages in this process: one per chat every `perChatIntervalMs`, one overall every
 * `globalIntervalMs`. (Several workers each keep their own: the overall rate is per worker.) On top
 * of the slots, a chat's messages go one at a time (`turn`), each `perChatIntervalMs` after the one
 * before was answered: slots alone let a late first request and a prompt second one reach Telegram
 * less than a second apart, and on a busy machine that drew 429s.
 */
export class Pacer {
  readonly #nextByChat = new Map<string, number>();
  #nextGlobal = 0;
  /** A chat's message on its way: settles once Telegram has answered it. */
  readonly #sending = new Map<string, Promise<void>>();
  readonly #answeredAt = new Map<string, number>();

  /**
   * Waits until no message to `chatId` is on its way and `perChatIntervalMs` has passed since the
   * last was answered; returns the function to call once this one is answered (or has failed).
   */
  async turn(chatId: string): Promise<() => void> {
    for (;;) {
      const previous = this.#sending.get(chatId);
      if (previous) {
        await previous;
        continue;
      }
      const waitMs = (this.#answeredAt.get(chatId) ?? 0) + perChatIntervalMs - Date.now();
      if (waitMs <= 0) break;
      await sleep(waitMs);
    }
    let answered: () => void = () => undefined;
    this.#sending.set(chatId, new Promise<void>((resolve) => (answered = resolve)));
    return () => {
      const nowMs = Date.now();
      if (this.#answeredAt.size >= pacedChatsMax) {
        for (const [chat, at] of this.#answeredAt)
          if (at <= nowMs - perChatIntervalMs) this.#answeredAt.delete(chat);
      }
      this.#answeredAt.set(chatId, nowMs);
      this.#sending.delete(chatId);
      answered();
    };
  }

  /** How long until `chatId` may get a message. */
  waitMs(chatId: string, nowMs = Date.now()): number {
    return Math.max(nowMs, this.#nextByChat.get(chatId) ?? 0, this.#nextGlobal) - nowMs;
  }

  /** Takes the next slot for `chatId`; returns the wait until it. */
  take(chatId: string, nowMs = Date.now()): number {
    const waitMs = this.waitMs(chatId, nowMs);
    if (this.#nextByChat.size >= pacedChatsMax) {
      for (const [chat, next] of this.#nextByChat) if (next <= nowMs) this.#nextByChat.delete(chat);
    }
    this.#nextByChat.set(chatId, nowMs + waitMs + perChatIntervalMs);
    this.#nextGlobal = nowMs + waitMs + globalIntervalMs;
    return waitMs;
  }
}

export interface NotifierOptions {
  readonly api: Api;
  readonly users: Users;
  /** The queue and the record of deliveries. */
  readonly pool: Pool;
  readonly logger: Logger;
}

export class Notifier {
  readonly #o: NotifierOptions;
  readonly #deliveries: NoticeDeliveries;
  readonly #pacer = new Pacer();
  #unsubscribe: (() => void) | undefined;

  constructor(options: NotifierOptions) {
    this.#o = options;
    this.#deliveries = new NoticeDeliveries(options.pool);
  }

  /** Starts queueing notices for the money news on the event bus. */
  listen(events: EventBus): void {
    this.#unsubscribe = events.subscribeAll((userId, event) => {
      void this.#queue(userId, event).catch((error: unknown) =>
        this.#o.logger.warn({ err: error, event: event.type }, 'notice not queued'),
      );
    });
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  /** Sends a queued notice to each Telegram chat of its person that has not had it yet. */
  async deliver(payload: Readonly<Record<string, unknown>>): Promise<void> {
    const notice = noticeOf(payload);
    if (!notice) {
      this.#o.logger.warn({ payload }, 'chat notice that can never be delivered: dropped');
      return;
    }
    const chats = (await this.#o.users.identities(notice.userId)).filter((i) => i.provider === 'telegram');
    if (chats.length === 0) return;
    const values = notice.fromUserId
      ? { ...notice.values, from: await this.#label(notice.fromUserId) }
      : notice.values;
    for (const chat of chats) {
      const laterMs = await this.#deliverTo(notice, chat, values);
      if (laterMs !== undefined) {
        // Chats already told are skipped when it runs again.
        await enqueueNotice(this.#o.pool, notice, new Date(Date.now() + laterMs));
        return;
      }
    }
  }

  /** Sends to one chat; returns how long to wait instead when its slot is too far away (or Telegram says so). */
  async #deliverTo(
    notice: ChatNotice,
    chat: Identity,
    values: Readonly<Record<string, string>>,
  ): Promise<number | undefined> {
    const chatId = chat.externalId;
    const claim = await this.#deliveries.claim(notice.id, 'telegram', chatId);
    if (claim === 'done') return undefined;
    if (claim === 'in_progress') throw new Error(`notice ${notice.id} is being sent by another worker`);
    const waitMs = this.#pacer.waitMs(chatId);
    if (waitMs > waitMaxMs) {
      await this.#deliveries.release(notice.id, 'telegram', chatId);
      return waitMs;
    }
    await sleep(this.#pacer.take(chatId));
    const text = t(isLanguage(chat.language) ? chat.language : 'en', notice.key, values);
    const answered = await this.#pacer.turn(chatId);
    try {
      await this.#o.api.sendMessage(chatId, text).finally(answered);
    } catch (error) {
      // Blocked, deleted, never started: trying again can't help.
      if (error instanceof GrammyError && (error.error_code === 400 || error.error_code === 403)) {
        this.#o.logger.info(
          { telegramError: telegramErrorForLog(error), chat: chatId },
          'notice undeliverable',
        );
        await this.#deliveries.finish(notice.id, 'telegram', chatId, 'undeliverable');
        return undefined;
      }
      await this.#deliveries.release(notice.id, 'telegram', chatId);
      // Flood control longer than the auto-retry waits in-process: the queue waits instead.
      const retryAfterS = error instanceof GrammyError ? error.parameters.retry_after : undefined;
      if (retryAfterS !== undefined) return retryAfterS * 1_000;
      throw error;
    }
    await this.#deliveries.finish(notice.id, 'telegram', chatId, 'sent');
    return undefined;
  }

  async #queue(userId: string, event: RealtimeEvent): Promise<void> {
    const notice = noticeForEvent(userId, event);
    // Most money events are news nobody is told, or for people not on Telegram: no job for those.
    if (notice) await enqueueNoticeForChats(this.#o.pool, 'telegram', notice);
  }

  async #label(userId: string): Promise<string> {
    const named = (await this.#o.users.identities(userId)).find((i) => i.username);
    return named ? `@${named.username}` : userId;
  }
}

function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}
