/**
 * The bot's update queue, as the Bot API server keeps it: updates wait until confirmed by a
 * `getUpdates` offset or delivered to the webhook. Long polling follows telegram-bot-api: a new
 * waiting `getUpdates` terminates the pending one with 409, and `setWebhook` terminates it too.
 * Webhook delivery keeps order within a chat (one update in flight per chat, retried with backoff
 * until the receiver answers 2xx) and runs chats in parallel up to `max_connections`.
 */
import type { Update, WebhookInfo } from 'grammy/types';
import { BotApiError } from './sandbox-http.ts';

/** Telegram keeps unconfirmed updates for 24 hours; the sandbox keeps a bounded number instead. */
const pendingMax = 10_000;
const pollTimeoutSecondsMax = 50;
const retryDelayMsMax = 2_000;
/** Telegram's default `allowed_updates` leaves these out. */
const optInTypes = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);

export type Webhook = {
  readonly url: string;
  readonly secretToken: string | undefined;
  readonly maxConnections: number;
  readonly allowedUpdates: readonly string[] | undefined;
};

export type UpdateQueueOptions = {
  /** First delay before re-sending an update the webhook refused; doubles per attempt. */
  readonly retryDelayMs: number;
  /** How long the webhook may take to answer before the attempt counts as failed. */
  readonly webhookTimeoutMs: number;
  /** Runs a method the webhook answered with (a "webhook reply"). */
  readonly onWebhookReply: (method: string, params: Record<string, unknown>) => void;
  readonly onDeliveryError: (url: string, message: string) => void;
};

type Poll = { readonly wake: () => void; readonly fail: (error: BotApiError) => void };

export class UpdateQueue {
  #nextUpdateId = 100_000_000 + Math.floor(Math.random() * 800_000_000);
  #pending: Update[] = [];
  #allowed: ReadonlySet<string> | undefined;
  #poll: Poll | undefined;
  #webhook: Webhook | undefined;
  #lastError: { date: number; message: string } | undefined;
  readonly #inFlight = new Set<Update>();
  readonly #busyLanes = new Set<string>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #deliveries = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  readonly #options: UpdateQueueOptions;
  #closed = false;

  constructor(options: UpdateQueueOptions) {
    this.#options = options;
  }

  /** The next update_id: strictly increasing, like Telegram's. */
  nextId(): number {
    return this.#nextUpdateId++;
  }

  get pendingCount(): number {
    return this.#pending.length;
  }

  get webhook(): Webhook | undefined {
    return this.#webhook;
  }

  /** Queues an update as is (an injected duplicate keeps its update_id). */
  push(update: Update): void {
    if (this.#closed) return;
    this.#nextUpdateId = Math.max(this.#nextUpdateId, update.update_id + 1);
    if (!this.#isAllowed(update)) return;
    this.#pending.push(update);
    if (this.#pending.length > pendingMax) this.#pending.shift();
    this.#poll?.wake();
    this.#pump();
  }

  async getUpdates(
    request: { offset?: number; limit?: number; timeoutSeconds?: number; allowedUpdates?: unknown },
    signal: AbortSignal,
  ): Promise<Update[]> {
    if (this.#webhook)
      throw new BotApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    if (Array.isArray(request.allowedUpdates)) this.#setAllowed(request.allowedUpdates.map(String));
    this.#confirm(request.offset ?? 0);
    const limit = Math.min(Math.max(request.limit ?? 100, 1), 100);
    const timeoutMs = Math.min(Math.max(request.timeoutSeconds ?? 0, 0), pollTimeoutSecondsMax) * 1000;
    if (this.#pending.length === 0 && timeoutMs > 0 && !this.#closed) {
      this.#terminatePoll(
        'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
      );
      await this.#wait(timeoutMs, signal);
      this.#confirm(request.offset ?? 0);
    }
    return this.#pending.slice(0, limit);
  }

  setWebhook(webhook: Webhook, dropPending: boolean): 'set' | 'unchanged' {
    const same = JSON.stringify(this.#webhook) === JSON.stringify(webhook);
    this.#terminatePoll('Conflict: terminated by setWebhook request');
    this.#webhook = webhook;
    if (webhook.allowedUpdates) this.#setAllowed(webhook.allowedUpdates);
    if (dropPending) this.#pending = [];
    if (!same) this.#lastError = undefined;
    this.#pump();
    return same ? 'unchanged' : 'set';
  }

  deleteWebhook(dropPending: boolean): 'deleted' | 'absent' {
    const had = this.#webhook !== undefined;
    this.#webhook = undefined;
    this.#lastError = undefined;
    if (dropPending) this.#pending = [];
    return had ? 'deleted' : 'absent';
  }

  info(): WebhookInfo {
    const webhook = this.#webhook;
    return {
      url: webhook?.url ?? '',
      has_custom_certificate: false,
      pending_update_count: this.#pending.length,
      ...(webhook ? { ip_address: '127.0.0.1', max_connections: webhook.maxConnections } : {}),
      ...(webhook?.allowedUpdates
        ? { allowed_updates: [...webhook.allowedUpdates] as WebhookInfo['allowed_updates'] }
        : {}),
      ...(this.#lastError
        ? { last_error_date: this.#lastError.date, last_error_message: this.#lastError.message }
        : {}),
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#poll?.wake();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#abort.abort();
    await Promise.all([...this.#deliveries]);
  }

  #isAllowed(update: Update): boolean {
    const type = Object.keys(update).find((key) => key !== 'update_id');
    if (type === undefined) return true;
    return this.#allowed ? this.#allowed.has(type) : !optInTypes.has(type);
  }

  /** An empty list restores Telegram's default, as the Bot API documents. */
  #setAllowed(types: readonly string[]): void {
    this.#allowed = types.length === 0 ? undefined : new Set(types);
  }

  /** A positive offset confirms every update below it; a negative one keeps only the last -offset. */
  #confirm(offset: number): void {
    if (offset > 0) this.#pending = this.#pending.filter((update) => update.update_id >= offset);
    else if (offset < 0) this.#pending = this.#pending.slice(offset);
  }

  #terminatePoll(description: string): void {
    const poll = this.#poll;
    this.#poll = undefined;
    poll?.fail(new BotApiError(409, description));
  }

  #wait(timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const finish = (error?: BotApiError) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', wake);
        if (this.#poll === poll) this.#poll = undefined;
        if (error) reject(error);
        else resolve();
      };
      const wake = () => finish();
      const poll: Poll = { wake, fail: (error) => finish(error) };
      const timer = setTimeout(wake, timeoutMs);
      // A client that hung up (grammY's bot.stop aborts its poll) no longer holds the poll.
      signal.addEventListener('abort', wake, { once: true });
      this.#poll = poll;
    });
  }

  #pump(): void {
    const webhook = this.#webhook;
    if (!webhook || this.#closed) return;
    for (const update of this.#pending) {
      if (this.#inFlight.size >= webhook.maxConnections) return;
      if (this.#inFlight.has(update)) continue;
      const lane = laneOf(update);
      if (this.#busyLanes.has(lane)) continue;
      this.#busyLanes.add(lane);
      this.#inFlight.add(update);
      this.#track(this.#deliver(update, lane, 0));
    }
  }

  #track(delivery: Promise<void>): void {
    const tracked = delivery.finally(() => this.#deliveries.delete(tracked));
    this.#deliveries.add(tracked);
  }

  async #deliver(update: Update, lane: string, attempt: number): Promise<void> {
    const webhook = this.#webhook;
    if (!webhook || this.#closed || !this.#pending.includes(update)) return this.#release(update, lane);
    const failure = await this.#post(webhook, update);
    if (failure === undefined) {
      this.#pending = this.#pending.filter((pending) => pending !== update);
      return this.#release(update, lane);
    }
    this.#lastError = { date: Math.floor(Date.now() / 1000), message: failure };
    this.#options.onDeliveryError(webhook.url, failure);
    const delayMs = Math.min(this.#options.retryDelayMs * 2 ** attempt, retryDelayMsMax);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#track(this.#deliver(update, lane, attempt + 1));
    }, delayMs);
    this.#timers.add(timer);
  }

  #release(update: Update, lane: string): void {
    this.#inFlight.delete(update);
    this.#busyLanes.delete(lane);
    this.#pump();
  }

  /** One webhook request; the failure as getWebhookInfo words it, or undefined on 2xx. */
  async #post(webhook: Webhook, update: Update): Promise<string | undefined> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (webhook.secretToken) headers['x-telegram-bot-api-secret-token'] = webhook.secretToken;
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(update),
        signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#options.webhookTimeoutMs)]),
      });
      const text = await response.text();
      if (!response.ok) return `Wrong response from the webhook: ${response.status} ${response.statusText}`;
      this.#webhookReply(text);
      return undefined;
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError') return 'Read timeout expired';
      return 'Connection refused';
    }
  }

  /** A webhook may answer with one method call in its body; Telegram runs it and drops the result. */
  #webhookReply(text: string): void {
    if (text.length === 0) return;
    try {
      const body: unknown = JSON.parse(text);
      if (typeof body !== 'object' || body === null || !('method' in body)) return;
      const { method, ...params } = body as Record<string, unknown>;
      if (typeof method === 'string') this.#options.onWebhookReply(method, params);
    } catch {
      // Not JSON: an ordinary "OK" body.
    }
  }
}

/** Updates of one chat go one at a time, so the bot sees them in order. */
function laneOf(update: Update): string {
  const chat =
    update.message?.chat.id ??
    update.edited_message?.chat.id ??
    update.callback_query?.message?.chat.id ??
    update.callback_query?.from.id ??
    update.pre_checkout_query?.from.id;
  return chat === undefined ? 'other' : String(chat);
}
