/**
 * What of a Telegram API failure may be logged. The bot token is part of every Bot API URL, and the
 * network error grammY wraps (`HttpError.error`) carries that URL in its message: logging the error
 * object whole would write the token to the logs. This keeps the method, Telegram's code and
 * description, and a message with anything token-shaped cut out.
 */
import { GrammyError, HttpError } from 'grammy';

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
