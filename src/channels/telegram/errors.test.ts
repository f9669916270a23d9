import { BotError, GrammyError, HttpError } from 'grammy';
import { describe, expect, it } from 'vitest';
import { errorForQueue, TelegramCallError, telegramErrorForLog } from './errors.ts';

const token = '123456789:AAE1cAnArYtOkEn_value-0123456789ab';

describe('Telegram errors in logs', () => {
  it('never carry the bot token, which the wrapped network error holds in its URL', () => {
    const network = new Error(
      `request to https://api.telegram.org/bot${token}/sendMessage failed, reason: ECONNRESET`,
    );
    for (const error of [
      new HttpError("Network request for 'sendMessage' failed!", network),
      network,
      `${token}`,
    ]) {
      const logged = JSON.stringify(telegramErrorForLog(error));
      expect(logged).not.toContain(token);
      expect(logged).not.toContain('AAE1cAnArY');
    }
  });

  it('keep what an operator needs from a Telegram refusal', () => {
    const refused = new GrammyError(
      "Call to 'sendMessage' failed!",
      { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' },
      'sendMessage',
      { chat_id: 1, text: 'hi' },
    );
    expect(telegramErrorForLog(refused)).toEqual({
      method: 'sendMessage',
      code: 403,
      description: 'Forbidden: bot was blocked by the user',
    });
  });

  it('reach the job queue, which logs an error with its own properties, without the token', () => {
    const network = Object.assign(new Error('request failed'), {
      message: `request to https://api.telegram.org/bot${token}/sendMessage failed, reason: ECONNRESET`,
    });
    const http = new HttpError("Network request for 'sendMessage' failed!", network);
    // grammY's handleUpdate throws a BotError holding the context, whose `api` holds the token.
    const inUpdate = new BotError(http, { api: { token }, update: { update_id: 1 } } as never);
    for (const error of [http, inUpdate]) {
      const queued = errorForQueue(error);
      expect(queued).toBeInstanceOf(TelegramCallError);
      expect(JSON.stringify(queued) + String((queued as Error).stack)).not.toContain(token);
    }
    const other = new Error('connection terminated');
    expect(errorForQueue(new BotError(other, { api: { token } } as never))).toBe(other);
  });
});
