import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { autoRetry } from '@grammyjs/auto-retry';
import { Bot, GrammyError, InlineKeyboard, webhookCallback } from 'grammy';
import type { Update } from 'grammy/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTelegramSandbox, type TelegramSandbox } from './sandbox.ts';

describe('telegram sandbox', () => {
  let sandbox: TelegramSandbox;
  const bots: Bot[] = [];
  const servers: Server[] = [];

  beforeEach(async () => {
    sandbox = await startTelegramSandbox({ webhookRetryDelayMs: 20 });
  });
  afterEach(async () => {
    for (const bot of bots.splice(0)) if (bot.isRunning()) await bot.stop();
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    await sandbox.close();
  });

  const makeBot = (token = sandbox.token) => {
    const bot = new Bot(token, { botInfo: sandbox.botInfo, client: { apiRoot: sandbox.url } });
    bots.push(bot);
    return bot;
  };
  /** Starts long polling and resolves once the first getUpdates is on its way. */
  const poll = (bot: Bot) =>
    new Promise<void>((resolve, reject) => {
      bot.start({ drop_pending_updates: true, onStart: () => resolve() }).catch(reject);
    });
  const expectGrammyError = async (promise: Promise<unknown>, code: number, description: string) => {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(GrammyError);
    expect((error as GrammyError).error_code).toBe(code);
    expect((error as GrammyError).description).toBe(description);
    return error as GrammyError;
  };

  it('serves a grammY bot by long polling: a message in, a reply out', async () => {
    const bot = makeBot();
    bot.command('start', (ctx) => ctx.reply(`Hello ${ctx.from?.first_name}, payload ${ctx.match}`));
    await poll(bot);
    const abebe = sandbox.user({ firstName: 'Abebe', username: 'abebe', languageCode: 'am' });
    const sent = abebe.send('/start deposit');
    expect(sent.entities).toEqual([{ type: 'bot_command', offset: 0, length: 6 }]);
    const reply = await abebe.waitForMessage();
    expect(reply).toMatchObject({
      text: 'Hello Abebe, payload deposit',
      from: { id: sandbox.botInfo.id, is_bot: true, username: sandbox.botInfo.username },
      chat: { id: abebe.chatId, type: 'private', first_name: 'Abebe', username: 'abebe' },
      deleted: false,
    });
    expect(reply.message_id).toBe(sent.message_id + 1);
    expect(reply.date).toBeGreaterThan(Date.now() / 1000 - 10);
    const update = sandbox.calls.find((call) => call.method === 'sendMessage');
    expect(update?.params).toMatchObject({ chat_id: abebe.chatId, text: 'Hello Abebe, payload deposit' });
  });

  it('round-trips an inline keyboard: press, answerCallbackQuery, editMessageText', async () => {
    const bot = makeBot();
    bot.command('menu', (ctx) =>
      ctx.reply('Choose', { reply_markup: new InlineKeyboard().text('Deposit', 'dep').text('Send', 'send') }),
    );
    bot.callbackQuery('dep', async (ctx) => {
      await ctx.answerCallbackQuery({ text: 'Deposit chosen' });
      await ctx.editMessageText('How much?');
    });
    await poll(bot);
    const user = sandbox.user();
    user.send('/menu');
    const menu = await user.waitForMessage((m) => m.text === 'Choose');
    expect(menu.reply_markup?.inline_keyboard[0]?.map((b) => b.text)).toEqual(['Deposit', 'Send']);
    expect(() => user.press(menu, 'nope')).toThrow(/no inline button/);
    user.pressButton('Deposit');
    const edited = await user.waitForMessage();
    expect(edited).toMatchObject({ message_id: menu.message_id, text: 'How much?' });
    expect(edited.edit_date).toBeTypeOf('number');
    expect(edited.reply_markup).toBeUndefined();
    expect(user.callbackAnswers()).toMatchObject([{ text: 'Deposit chosen', showAlert: false }]);
    expect(user.messages()).toHaveLength(1);
    expect(() => user.pressButton('Deposit')).toThrow(/no inline button "Deposit"/);
    const answer = sandbox.calls.find((call) => call.method === 'answerCallbackQuery');
    await expectGrammyError(
      bot.api.answerCallbackQuery(String(answer?.params.callback_query_id)),
      400,
      'Bad Request: query is too old and response timeout expired or query ID is invalid',
    );
  });

  it('delivers to a webhook with the secret header, retrying until it answers 2xx, in order', async () => {
    const bot = makeBot();
    const seen: { headers: IncomingHttpHeaders; text?: string }[] = [];
    bot.on('message:text', (ctx) => {
      seen.push({ headers: {}, text: ctx.message.text });
    });
    const handle = webhookCallback(bot, 'http', { secretToken: 'hook_Secret-1' });
    let refusals = 1;
    const server = createServer((req, res) => {
      seen.push({ headers: req.headers });
      if (refusals-- > 0) {
        res.writeHead(500).end();
        return;
      }
      void handle(req, res);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    expect(await bot.api.setWebhook(url, { secret_token: 'hook_Secret-1' })).toBe(true);
    const user = sandbox.user();
    user.send('one');
    user.send('two');
    await waitUntil(() => seen.filter((s) => s.text).length === 2);
    expect(seen.filter((s) => s.text).map((s) => s.text)).toEqual(['one', 'two']);
    expect(seen[0]?.headers['x-telegram-bot-api-secret-token']).toBe('hook_Secret-1');
    expect(seen[0]?.headers['content-type']).toBe('application/json');
    const info = await bot.api.getWebhookInfo();
    expect(info).toMatchObject({ url, pending_update_count: 0, has_custom_certificate: false });
    expect(info.last_error_message).toBe('Wrong response from the webhook: 500 Internal Server Error');
    await expectGrammyError(
      bot.api.getUpdates(),
      409,
      "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    );
    await expectGrammyError(
      bot.api.setWebhook(url, { secret_token: 'not secret!' }),
      400,
      'Bad Request: secret token contains unallowed characters',
    );
    expect(await bot.api.deleteWebhook()).toBe(true);
    expect((await bot.api.getWebhookInfo()).url).toBe('');
  });

  it('answers errors in Telegram shapes that grammY turns into GrammyError', async () => {
    const bot = makeBot();
    await expectGrammyError(makeBot('123:wrong').api.getMe(), 401, 'Unauthorized');
    await expectGrammyError(bot.api.sendMessage(42, 'hi'), 400, 'Bad Request: chat not found');
    const user = sandbox.user();
    await expectGrammyError(bot.api.sendMessage(user.chatId, ''), 400, 'Bad Request: message text is empty');
    await expectGrammyError(
      bot.api.sendMessage(user.chatId, '<blink>x</blink>', { parse_mode: 'HTML' }),
      400,
      'Bad Request: can\'t parse entities: Unsupported start tag "blink" at byte offset 0',
    );
    await expectGrammyError(
      bot.api.sendMessage(user.chatId, 'Total: 5.00', { parse_mode: 'MarkdownV2' }),
      400,
      "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'",
    );
    await expectGrammyError(
      bot.api.sendMessage(user.chatId, 'x', { reply_markup: new InlineKeyboard().text('x', 'd'.repeat(65)) }),
      400,
      'Bad Request: BUTTON_DATA_INVALID',
    );
    const sent = await bot.api.sendMessage(user.chatId, '*Total:* 5\\.00', { parse_mode: 'MarkdownV2' });
    await expectGrammyError(
      bot.api.editMessageText(user.chatId, sent.message_id, '*Total:* 5\\.00', { parse_mode: 'MarkdownV2' }),
      400,
      'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
    );
    await expectGrammyError(
      bot.api.editMessageText(user.chatId, 9999, 'x'),
      400,
      'Bad Request: message to edit not found',
    );
    expect(await bot.api.deleteMessage(user.chatId, sent.message_id)).toBe(true);
    expect(user.deletedMessageIds).toEqual([sent.message_id]);
    expect(user.messages()[0]?.deleted).toBe(true);
    await expectGrammyError(
      bot.api.deleteMessage(user.chatId, sent.message_id),
      400,
      'Bad Request: message to delete not found',
    );
    const raw = await fetch(`${sandbox.url}/bot${sandbox.token}/noSuchMethod`, { method: 'POST' });
    expect(raw.status).toBe(404);
    expect(await raw.json()).toEqual({ ok: false, error_code: 404, description: 'Not Found' });
  });

  it('terminates a waiting getUpdates with 409 when another one starts, as telegram-bot-api does', async () => {
    const bot = makeBot();
    const first = bot.api.getUpdates({ timeout: 5 });
    await waitUntil(() => sandbox.calls.length === 1);
    const second = bot.api.getUpdates({ timeout: 1 });
    await expectGrammyError(
      first,
      409,
      'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
    );
    sandbox.user().send('wake up');
    expect((await second).map((update) => update.message?.text)).toEqual(['wake up']);
  });

  it('answers 429 with retry_after, which the auto-retry plugin honours', async () => {
    const bot = makeBot();
    const user = sandbox.user();
    sandbox.failNext('sendMessage', { errorCode: 429, retryAfter: 1 });
    const raw = await fetch(`${sandbox.url}/bot${sandbox.token}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chat_id: user.chatId, text: 'hi' }),
    });
    expect(raw.status).toBe(429);
    expect(await raw.json()).toEqual({
      ok: false,
      error_code: 429,
      description: 'Too Many Requests: retry after 1',
      parameters: { retry_after: 1 },
    });
    sandbox.rateLimit({ perChatPerSecond: 1 });
    await bot.api.sendMessage(user.chatId, 'first');
    const limited = await expectGrammyError(
      bot.api.sendMessage(user.chatId, 'second'),
      429,
      'Too Many Requests: retry after 1',
    );
    expect(limited.parameters.retry_after).toBe(1);
    bot.api.config.use(autoRetry({ maxRetryAttempts: 2 }));
    const started = Date.now();
    const retried = await bot.api.sendMessage(user.chatId, 'third');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(retried.text).toBe('third');
    expect(user.messages().map((m) => m.text)).toEqual(['first', 'third']);
    expect(sandbox.calls.filter((call) => call.errorCode === 429)).toHaveLength(3);
  });

  it('delivers an injected duplicate twice with the same update_id', async () => {
    const bot = makeBot();
    const received: number[] = [];
    bot.on('message', (ctx) => {
      received.push(ctx.update.update_id);
    });
    await poll(bot);
    const user = sandbox.user();
    const update = {
      update_id: 900_000_001,
      message: {
        message_id: 1,
        date: 1,
        chat: { id: user.chatId, type: 'private', first_name: 'T' },
        text: 'dup',
      },
    } as Update;
    sandbox.inject(update);
    sandbox.inject(update);
    await waitUntil(() => received.length === 2);
    expect(received).toEqual([900_000_001, 900_000_001]);
    user.send('after');
    await waitUntil(() => received.length === 3);
    expect(received[2]).toBeGreaterThan(900_000_001);
  });

  it('stores setMyCommands per language_code', async () => {
    const bot = makeBot();
    await bot.api.setMyCommands([{ command: 'start', description: 'Start' }]);
    await bot.api.setMyCommands([{ command: 'start', description: 'ጀምር' }], { language_code: 'am' });
    expect(sandbox.commands()).toEqual([{ command: 'start', description: 'Start' }]);
    expect(sandbox.commands('am')).toEqual([{ command: 'start', description: 'ጀምር' }]);
    expect(sandbox.commands('sw')).toEqual([]);
    expect(await bot.api.getMyCommands({ language_code: 'am' })).toEqual([
      { command: 'start', description: 'ጀምር' },
    ]);
    await expectGrammyError(
      bot.api.setMyCommands([{ command: 'Start', description: 'x' }]),
      400,
      'Bad Request: BOT_COMMAND_INVALID',
    );
  });

  it('runs a Stars payment: invoice, pre-checkout, successful_payment, refund', async () => {
    const bot = makeBot();
    const payments: string[] = [];
    bot.on('pre_checkout_query', (ctx) => ctx.answerPreCheckoutQuery(true));
    bot.on('message:successful_payment', (ctx) => {
      payments.push(ctx.message.successful_payment.telegram_payment_charge_id);
    });
    await poll(bot);
    const user = sandbox.user();
    const invoice = await bot.api.sendInvoice(user.chatId, 'Donation', 'Thanks', 'don_1', 'XTR', [
      { label: 'Donation', amount: 50 },
    ]);
    expect(invoice.invoice).toEqual({
      title: 'Donation',
      description: 'Thanks',
      start_parameter: '',
      currency: 'XTR',
      total_amount: 50,
    });
    const outcome = await user.payInvoice();
    expect(outcome.status).toBe('paid');
    await waitUntil(() => payments.length === 1);
    expect(await bot.api.refundStarPayment(user.id, payments[0] ?? '')).toBe(true);
    await expectGrammyError(
      bot.api.refundStarPayment(user.id, payments[0] ?? ''),
      400,
      'Bad Request: CHARGE_ALREADY_REFUNDED',
    );
  });

  it('lets the web simulator play a user over HTTP, with CORS', async () => {
    const bot = makeBot();
    bot.on('message:text', (ctx) =>
      ctx.reply(`echo ${ctx.message.text} (${ctx.from.language_code})`, {
        reply_markup: new InlineKeyboard().text('Again', 'again'),
      }),
    );
    bot.callbackQuery('again', (ctx) => ctx.answerCallbackQuery({ text: 'ok', show_alert: true }));
    await poll(bot);
    const post = (path: string, body: unknown) =>
      fetch(`${sandbox.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const created = await post('/sandbox/users', { first_name: 'Amina', language_code: 'sw' });
    expect(created.status).toBe(201);
    expect(created.headers.get('access-control-allow-origin')).toBe('*');
    const person = (await created.json()) as { id: number; language_code: string };
    expect(person.language_code).toBe('sw');
    expect((await post(`/sandbox/users/${person.id}/messages`, { text: 'habari' })).status).toBe(200);
    type Feed = {
      version: number;
      messages: { sender: string; message: { message_id: number; text?: string } }[];
    };
    const feedAfter = async (after: number, wanted: (feed: Feed) => boolean) => {
      for (;;) {
        const feed = (await (
          await fetch(`${sandbox.url}/sandbox/users/${person.id}/messages?after=${after}&timeout=2`)
        ).json()) as Feed;
        if (wanted(feed)) return feed;
        after = feed.version;
      }
    };
    const feed = await feedAfter(0, (f) => f.messages.some((m) => m.sender === 'bot'));
    const botMessage = feed.messages.find((m) => m.sender === 'bot')?.message;
    expect(botMessage?.text).toBe('echo habari (sw)');
    const pressed = await post(`/sandbox/users/${person.id}/callbacks`, {
      message_id: botMessage?.message_id,
      data: 'again',
    });
    expect(pressed.status).toBe(200);
    expect(
      (await post(`/sandbox/users/${person.id}/callbacks`, { message_id: 999, data: 'again' })).status,
    ).toBe(400);
    await waitUntil(() => sandbox.findUser(person.id)?.callbackAnswers().length === 1);
    expect(sandbox.findUser(person.id)?.callbackAnswers()[0]).toMatchObject({ text: 'ok', showAlert: true });
    const page = await fetch(`${sandbox.url}/sandbox/chat`);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<label for="lang">Language</label>');
    expect(html).toContain('role="log"');
    const botApi = await fetch(`${sandbox.url}/bot${sandbox.token}/getMe`);
    expect(botApi.headers.get('access-control-allow-origin')).toBeNull();
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
