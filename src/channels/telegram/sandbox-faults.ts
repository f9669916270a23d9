/**
 * Misbehaviour the Telegram sandbox can be asked for: a scripted failure of the next call of a
 * method (`failNext`), and Telegram's flood control (`rateLimit`), both answered in Telegram's
 * error shape so a bot's retry logic sees what it would see in production.
 */
import { BotApiError, tooManyRequests } from './sandbox-http.ts';

/** A scripted failure: a 429 with `retry_after`, or a 400/500 with a description. */
export type SandboxFailure =
  | { readonly errorCode: 429; readonly retryAfter: number }
  | { readonly errorCode: 400 | 500; readonly description?: string };

/** Flood control limits, per second; each is off when absent. */
export type RateLimits = { readonly perChatPerSecond?: number; readonly globalPerSecond?: number };

export class FailureQueue {
  readonly #byMethod = new Map<string, SandboxFailure[]>();

  add(method: string, failure: SandboxFailure): void {
    const key = method.toLowerCase();
    const queue = this.#byMethod.get(key) ?? [];
    queue.push(failure);
    this.#byMethod.set(key, queue);
  }

  /** The failure the current call of `method` should get, if any (consumes it). */
  take(method: string): BotApiError | undefined {
    const failure = this.#byMethod.get(method.toLowerCase())?.shift();
    if (!failure) return undefined;
    if (failure.errorCode === 429) return tooManyRequests(failure.retryAfter);
    const fallback = failure.errorCode === 400 ? 'Bad Request' : 'Internal Server Error';
    return new BotApiError(failure.errorCode, failure.description ?? fallback);
  }
}

const windowMs = 1_000;
/** Methods that put something in a chat; Telegram's limits are on messages, not on reads. */
const limitedMethod = /^(send(?!chataction)|edit|copy|forward)/i;

/** A sliding one-second window per chat and overall. */
export class RateLimiter {
  #limits: RateLimits = {};
  readonly #perChat = new Map<string, number[]>();
  readonly #global: number[] = [];

  set(limits: RateLimits): void {
    this.#limits = limits;
    this.#perChat.clear();
    this.#global.length = 0;
  }

  /** Counts the call, or returns the 429 Telegram would answer. */
  check(method: string, chatId: unknown, nowMs = Date.now()): BotApiError | undefined {
    const { perChatPerSecond, globalPerSecond } = this.#limits;
    if (!limitedMethod.test(method) || (perChatPerSecond === undefined && globalPerSecond === undefined))
      return undefined;
    const chatKey = String(chatId ?? '');
    const chat = this.#perChat.get(chatKey) ?? [];
    this.#perChat.set(chatKey, chat);
    for (const window of [chat, this.#global])
      while (window[0] !== undefined && window[0] <= nowMs - windowMs) window.shift();
    const full = (window: number[], limit: number | undefined) =>
      limit !== undefined && window.length >= limit;
    const blocking = full(chat, perChatPerSecond)
      ? chat
      : full(this.#global, globalPerSecond)
        ? this.#global
        : undefined;
    if (blocking) {
      const oldest = blocking[0] ?? nowMs;
      return tooManyRequests(Math.max(1, Math.ceil((oldest + windowMs - nowMs) / 1000)));
    }
    chat.push(nowMs);
    this.#global.push(nowMs);
    return undefined;
  }
}
