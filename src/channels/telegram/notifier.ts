/**
 * Messages to people who did not just write to the bot: incoming money, deposit and withdrawal
 * outcomes. They come from the realtime event bus (the same events the API's WebSocket carries) and
 * leave through a queue that keeps to Telegram's limits: about one message a second per chat and 25
 * a second overall (Telegram's documented 30, with room for replies). The queue is in memory and
 * bounded: a notice lost in a crash is only a notice (the money and its history are in the ledger).
 */
import type { Api } from 'grammy';
import type { EventBus, RealtimeEvent } from '../../realtime/index.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Users } from '../../users/index.ts';
import { isLanguage, type MessageKey, t } from '../flows/index.ts';
import { telegramErrorForLog } from './errors.ts';

const perChatIntervalMs = 1_000;
const globalPerSecond = 25;
const queueMax = 10_000;
const knownForMs = 60_000;
const knownMax = 10_000;

type Identity = Awaited<ReturnType<Users['identities']>>[number];

interface Queued {
  readonly chatId: string;
  readonly text: string;
}

export class Notifier {
  readonly #api: Api;
  readonly #users: Users;
  readonly #logger: Logger;
  readonly #queue: Queued[] = [];
  readonly #lastSentAt = new Map<string, number>();
  #sentThisSecond: number[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #known = new Map<string, { identities: Identity[]; until: number }>();
  #unsubscribe: (() => void) | undefined;

  constructor(options: { api: Api; users: Users; logger: Logger }) {
    this.#api = options.api;
    this.#users = options.users;
    this.#logger = options.logger;
  }

  /** Starts listening to the event bus for money news. */
  listen(events: EventBus): void {
    this.#unsubscribe = events.subscribeAll((userId, event) => {
      void this.#onEvent(userId, event).catch((error: unknown) =>
        this.#logger.warn({ telegramError: telegramErrorForLog(error) }, 'notification dropped'),
      );
    });
  }

  stop(): void {
    this.#unsubscribe?.();
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Tells a user something in their language, on each Telegram chat they have. */
  async notify(userId: string, key: MessageKey, values: Readonly<Record<string, string>>): Promise<void> {
    for (const identity of await this.#identities(userId)) {
      if (identity.provider !== 'telegram') continue;
      const language = isLanguage(identity.language) ? identity.language : 'en';
      this.#enqueue({ chatId: identity.externalId, text: t(language, key, values) });
    }
  }

  async #onEvent(userId: string, event: RealtimeEvent): Promise<void> {
    const data = event.data as Record<string, unknown>;
    const amount = String(data.amount ?? '');
    const currency = String(data.currency ?? '');
    if (event.type === 'transfer.received') {
      const from = (data.from as { user_id?: string } | undefined)?.user_id ?? '';
      const sender = (await this.#identities(from)).find((i) => i.username);
      return this.notify(userId, 'send.received', {
        amount,
        currency,
        from: sender ? `@${sender.username}` : from,
      });
    }
    if (event.type === 'transfer.returned') {
      return this.notify(userId, 'held.returned', { amount, currency, to: String(data.to ?? '') });
    }
    const status = String(data.status ?? '');
    const reason = String((data.failure as { message?: string } | null)?.message ?? status);
    if (event.type === 'deposit.updated') {
      if (status === 'succeeded') return this.notify(userId, 'deposit.succeeded', { amount, currency });
      if (['failed', 'canceled', 'expired'].includes(status)) {
        return this.notify(userId, 'deposit.failed', { amount, currency, reason });
      }
    }
    if (event.type === 'withdrawal.updated') {
      if (status === 'succeeded') return this.notify(userId, 'withdraw.succeeded', { amount, currency });
      if (['failed', 'rejected'].includes(status))
        return this.notify(userId, 'withdraw.failed', { amount, currency, reason });
    }
  }

  /**
   * Who is on which chat, remembered for a minute: every money event reaches the notifier, most are
   * for people it already knows (or knows are not on Telegram), and a query per event would put the
   * notifier on the payments' hot path.
   */
  async #identities(userId: string): Promise<Identity[]> {
    const now = Date.now();
    const known = this.#known.get(userId);
    if (known && known.until > now) return known.identities;
    const identities = await this.#users.identities(userId);
    if (this.#known.size >= knownMax) this.#known.clear();
    this.#known.set(userId, { identities, until: now + knownForMs });
    return identities;
  }

  #enqueue(item: Queued): void {
    if (this.#queue.length >= queueMax) {
      this.#logger.warn({ queued: this.#queue.length }, 'notification queue full: dropping');
      return;
    }
    this.#queue.push(item);
    this.#schedule(0);
  }

  #schedule(delayMs: number): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#drain();
    }, delayMs);
    this.#timer.unref();
  }

  /** Sends what the limits allow now; reschedules for the rest. */
  async #drain(): Promise<void> {
    const now = Date.now();
    this.#sentThisSecond = this.#sentThisSecond.filter((at) => now - at < 1_000);
    let waitMs = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.#queue.length; ) {
      if (this.#sentThisSecond.length >= globalPerSecond) {
        waitMs = Math.min(waitMs, 1_000 - (now - (this.#sentThisSecond[0] as number)));
        break;
      }
      const item = this.#queue[i] as Queued;
      const nextAt = (this.#lastSentAt.get(item.chatId) ?? 0) + perChatIntervalMs;
      if (nextAt > now) {
        waitMs = Math.min(waitMs, nextAt - now);
        i++;
        continue;
      }
      this.#queue.splice(i, 1);
      this.#lastSentAt.set(item.chatId, now);
      this.#sentThisSecond.push(now);
      await this.#api
        .sendMessage(item.chatId, item.text)
        .catch((error: unknown) =>
          this.#logger.warn(
            { telegramError: telegramErrorForLog(error), chat: item.chatId },
            'notification not delivered',
          ),
        );
    }
    if (this.#lastSentAt.size > queueMax) this.#lastSentAt.clear();
    if (this.#queue.length > 0) this.#schedule(Number.isFinite(waitMs) ? Math.max(10, waitMs) : 50);
  }
}
