/**
 * What of a Telegram API failure may be logged. The bot token is part of every Bot API URL, and the
 * network error grammY wraps (`HttpError.error`) carries that URL in its message: logging the error
 * object whole would write the token to the logs. This keeps the method, Telegram's code and
 * description, and a message with anything token-shaped cut out.
 */
import { BotError, GrammyError, HttpError } from 'grammy';

const tokenShaped = /\d{3,20}:[A-Za-z0-9_-]{20,}/g;

export function telegramErrorForLog(error: unknown): Record<string, unknown> {
  if (error instanceof GrammyError) {
    return { method: error.method, code: error.error_code, description: error.description };
  }
  if (error instanceof HttpError) return { message: error.message.replace(tokenShaped, '[redacted]') };
  if (error instanceof Error) {
    return { type: error.name, message: error.message.replace(tokenShaped, '[redacted]') };
  }
  return { message: String(error).replace(tokenShaped, '[redacted]') };
}

/**
 * A Telegram call that failed, in the form handed to the job queue. The queue logs the error it is
 * given whole, own properties included, where grammY keeps the token: the request URL in
 * `HttpError.error`, the bot's `api` in `BotError.ctx`. This keeps only `telegramErrorForLog`'s.
 */
export class TelegramCallError extends Error {
  /** What may be logged of the original failure. */
  readonly detail: Readonly<Record<string, unknown>>;

  constructor(detail: Readonly<Record<string, unknown>>) {
    super(`Telegram call failed: ${JSON.stringify(detail)}`);
    this.name = 'TelegramCallError';
    this.detail = detail;
  }
}

/**
 * What to throw to the job queue for `error`: grammY's errors as a `TelegramCallError`, a `BotError`
 * unwrapped to what it wraps (without its context), anything else as it is.
 */
export function errorForQueue(error: unknown): unknown {
  const inner = error instanceof BotError ? error.error : error;
  return inner instanceof GrammyError || inner instanceof HttpError
    ? new TelegramCallError(telegramErrorForLog(inner))
    : inner;
}
