/**
 * Webhook mode: Telegram POSTs updates to /v1/channels/telegram/webhook with the secret token; the
 * route checks it, queues the update as a job and answers at once; a worker's bot answers the person.
 */
import { describe, expect, it } from 'vitest';
import { telegramHarness } from './telegram-harness.ts';

const secret = 'webhook-secret-token_0123456789';
const { harness, api, telegram, makeBot } = await telegramHarness({
  providers: ['mpesa'],
  worker: false,
  telegramWebhookSecret: secret,
});
const bot = makeBot();
await harness.startWorker({ telegram: bot });

describe('the Telegram webhook', () => {
  it('refuses a request without the right secret token, and queues nothing', async () => {
    for (const headers of [{}, { 'x-telegram-bot-api-secret-token': 'wrong-token-0123456789' }]) {
      const refused = await api.app.inject({
        method: 'POST',
        url: '/v1/channels/telegram/webhook',
        headers,
        payload: { update_id: 5 },
      });
      expect([refused.statusCode, refused.json().error.code]).toEqual([401, 'webhook_signature_invalid']);
    }
    const { rows } = await api.database.pool.query(
      `SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = 'telegram_update'`,
    );
    expect(rows[0].n).toBe(0);
  });

  it('takes updates from Telegram and answers through the worker', async () => {
    await bot.bot.api.setWebhook(`${harness.baseUrl}/v1/channels/telegram/webhook`, { secret_token: secret });
    const person = telegram.user({ firstName: 'Wanjiru', languageCode: 'sw' });
    person.send('/start');
    const welcome = await person.waitForMessage((m) => /Karibu ChatPay, Wanjiru/.test(m.text ?? ''), 10_000);
    expect(welcome.text).toMatch(/Ungependa kufanya nini/);
    person.pressButton('Salio');
    await person.waitForMessage((m) => /Pochi zako ni tupu/.test(m.text ?? ''), 10_000);
  });

  it('handles an update in-process before answering when the bot runs in the same process, queueing nothing', async () => {
    // Jobs are deleted once done, so count insertions: the job id sequence does not move.
    const sequence = (
      await api.database.pool.query<{ name: string }>(
        `SELECT pg_get_serial_sequence('graphile_worker._private_jobs', 'id') AS name`,
      )
    ).rows[0]?.name;
    const jobs = async () =>
      Number((await api.database.pool.query(`SELECT last_value::text AS n FROM ${sequence}`)).rows[0].n);
    const before = await jobs();
    Object.assign(api.services, {
      telegramInline: { handler: (update: unknown) => bot.handleUpdate(update as never) },
    });
    try {
      const person = telegram.user({ firstName: 'Abebe', languageCode: 'am' });
      person.send('/start');
      await person.waitForMessage((m) => /እንኳን ወደ ChatPay/.test(m.text ?? ''), 10_000);
      expect(await jobs()).toBe(before);
    } finally {
      Object.assign(api.services, { telegramInline: undefined });
    }
  });

  it('hands the queue no error that holds the token when a reply fails', async () => {
    const person = telegram.user({ firstName: 'Kamau', languageCode: 'en' });
    const update = {
      update_id: 1_960_000_000,
      message: {
        message_id: 1,
        date: Math.floor(Date.now() / 1000),
        chat: { id: person.chatId, type: 'private' as const, first_name: 'Kamau' },
        from: { id: person.id, is_bot: false, first_name: 'Kamau' },
        text: '/help',
        entities: [{ type: 'bot_command' as const, offset: 0, length: 5 }],
      },
    };
    // The failure is for this update's reply: the earlier tests' last replies go out first.
    for (let calls = -1; calls !== telegram.calls.length; ) {
      calls = telegram.calls.length;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    telegram.failNext('sendMessage', { errorCode: 400, description: 'Bad Request: chat not found' });
    // grammY throws a BotError holding the update's context, and the context holds the bot's token.
    const failed = await bot.handleUpdate(update as never).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failed?.message).toMatch(/chat not found/);
    expect(JSON.stringify(failed) + failed?.stack).not.toContain(telegram.token);
  });
});
