import { GrammyError, HttpError } from 'grammy';
import { describe, expect, it } from 'vitest';
import { telegramErrorForLog } from './errors.ts';

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
});
