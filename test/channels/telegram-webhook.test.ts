/**
 * Webhook mode: Telegram POSTs updates to /v1/channels/telegram/webhook with the secret token; the
 * route checks it, queues the update as a job and answers at once; a worker's bot answers the person.
 */
import { describe, expect, it } from 'vitest';
import type { WebhookReplySlot } from '../../src/channels/telegram/webhook-reply.ts';
import { commandUpdate, telegramHarness } from './telegram-harness.ts';

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

  it('answers questions and balances in the webhook reply, and makes receipts and PIN steps requests of their own', async () => {
    await bot.bot.api.setWebhook(`${harness.baseUrl}/v1/channels/telegram/webhook`, { secret_token: secret });
    Object.assign(api.services, {
      telegramInline: {
        handler: (update: unknown, reply: WebhookReplySlot) => bot.handleUpdate(update as never, reply),
      },
    });
    try {
      const alice = telegram.user({ username: 'wh_alice', firstName: 'Alice', languageCode: 'en' });
      const bob = telegram.user({ username: 'wh_bob', firstName: 'Bob', languageCode: 'en' });
      for (const person of [alice, bob]) {
        person.send('/start');
        await person.waitForMessage((m) => /Welcome/.test(m.text ?? ''), 10_000);
      }
      const user = await api.services.users.byChat('telegram', String(alice.id));
      await api.fund(user?.id as string, 'KES', '100');
      // How each call that answered `act` reached the sandbox, by method, in order. A webhook reply
      // runs once the webhook is answered, after the requests made while handling: waited for too.
      const via = async (
        act: () => void,
        expected: RegExp,
        settled = (calls: string[]) => calls.length > 0,
      ) => {
        const since = telegram.calls.length;
        act();
        await alice.waitForMessage((m) => expected.test(m.text ?? ''), 10_000);
        const calls = () =>
          telegram.calls
            .slice(since)
            .filter((c) => c.params.chat_id === alice.chatId || c.method === 'answerCallbackQuery')
            .map((c) => `${c.method} ${c.via}`);
        for (let i = 0; i < 50 && !settled(calls()); i++)
          await new Promise((resolve) => setTimeout(resolve, 20));
        return calls();
      };
      expect(await via(() => alice.send('/balance'), /KES: 100.00/)).toEqual(['sendMessage webhook_reply']);
      expect(await via(() => alice.send('/send'), /Who should get/)).toEqual(['sendMessage webhook_reply']);
      expect(await via(() => alice.send('@wh_bob'), /How much/)).toEqual(['sendMessage webhook_reply']);
      expect(await via(() => alice.send('5'), /Send 5.00 KES/)).toEqual(['sendMessage webhook_reply']);
      // The receipt must arrive, so it is a request (with its answer checked); the spinner is not.
      const confirmed = await via(
        () => alice.pressButton('Confirm'),
        /Sent 5.00 KES/,
        (calls) => calls.some((c) => c.startsWith('answerCallbackQuery')),
      );
      expect(confirmed).toContain('answerCallbackQuery webhook_reply');
      const receipt = confirmed.filter((c) => !c.startsWith('answerCallbackQuery'));
      expect(receipt.length).toBeGreaterThan(0);
      expect(receipt.every((c) => c.endsWith(' request'))).toBe(true);
      // A message holding a PIN is deleted by a request, and what answers it is one too.
      await via(() => alice.send('/pin'), /Choose a PIN/);
      let pinMessageId = 0;
      const pin = await via(
        () => {
          pinMessageId = alice.send('4826').message_id;
        },
        /Your PIN is set/,
        (calls) => calls.length >= 2,
      );
      expect(pin).toEqual(['deleteMessage request', 'sendMessage request']);
      expect(alice.deletedMessageIds).toContain(pinMessageId);
    } finally {
      Object.assign(api.services, { telegramInline: undefined });
    }
  });

  it('refuses a webhook reply offered after the webhook was answered: the bot then makes the request itself', async () => {
    let late: boolean | undefined;
    Object.assign(api.services, {
      telegramInline: {
        handler: async (_update: unknown, reply: WebhookReplySlot) => {
          await new Promise((resolve) => setTimeout(resolve, 2_100)); // past the route's 2 s deadline
          late = reply.offer('sendMessage', { chat_id: 1, text: 'late' });
        },
      },
    });
    try {
      const answered = await api.app.inject({
        method: 'POST',
        url: '/v1/channels/telegram/webhook',
        headers: { 'x-telegram-bot-api-secret-token': secret },
        payload: { update_id: 1_950_000_000 },
      });
      expect(answered.json()).toEqual({ ok: true });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(late).toBe(false);
    } finally {
      Object.assign(api.services, { telegramInline: undefined });
    }
  });

  it('gives up on a reply after a few quick tries when Telegram is out of reach, instead of retrying without end', async () => {
    // Nothing listens on port 1: every call is a network error.
    const unreachable = makeBot({ apiRoot: 'http://127.0.0.1:1' });
    const person = telegram.user({ firstName: 'Otieno', languageCode: 'en' });
    const update = commandUpdate(person, 1_970_000_000, '/help');
    const startedMs = performance.now();
    const outcome = await Promise.race([
      unreachable.handleUpdate(update as never).then(
        () => 'answered',
        (error: unknown) => error as Error,
      ),
      new Promise<string>((resolve) => setTimeout(() => resolve('still retrying'), 8_000)),
    ]);
    expect(outcome).toBeInstanceOf(Error);
    expect(performance.now() - startedMs).toBeLessThan(5_000);
    expect(String((outcome as Error).message) + (outcome as Error).stack).not.toContain(telegram.token);
  });

  it('hands the queue no error that holds the token when a reply fails', async () => {
    const person = telegram.user({ firstName: 'Kamau', languageCode: 'en' });
    const update = commandUpdate(person, 1_960_000_000, '/help');
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
