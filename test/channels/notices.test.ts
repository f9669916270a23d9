/**
 * Chat notices through the PostgreSQL job queue: queued when the money news comes, delivered by the
 * worker's bot over HTTP to the Bot API sandbox, within Telegram's limits, once per chat, across a
 * restart, a retry after a successful send, and a failed send.
 */
import { describe, expect, it } from 'vitest';
import { enqueueNotice } from '../../src/channels/flows/index.ts';
import type { TelegramBot } from '../../src/channels/telegram/bot.ts';
import { newId } from '../../src/shared/ids.ts';
import { chatWorker } from './chat-worker.ts';
import { telegramHarness } from './telegram-harness.ts';

const { harness, api, telegram, makeBot: newBot } = await telegramHarness({ providers: [], worker: false });

/** A bot process: `listening` ones queue notices for the event bus's news. */
const makeBot = (listening: boolean): TelegramBot =>
  newBot({ events: listening ? api.services.events : undefined });

/** Someone on Telegram (registered as the bot would on their first message), and a sender with money. */
async function people(username: string) {
  const person = telegram.user({ username, firstName: username, languageCode: 'en' });
  const { user } = await api.services.users.fromChat('telegram', String(person.id), { username });
  const sender = await api.register();
  await api.fund(sender.id, 'KES', '100.00');
  return { person, userId: user.id, sender };
}

const send = (from: string, to: string, amount: string) =>
  api.services.transfers.send({ fromUserId: from, to, amount, currency: 'KES', transferId: newId('txf') });

async function queuedNotices(): Promise<number> {
  const { rows } = await api.database.pool.query(
    `SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = 'chat_notice'`,
  );
  return rows[0].n;
}

const received = (texts: readonly (string | undefined)[]) =>
  texts.filter((text) => /^You received/.test(text ?? '')).sort();

describe('chat notices', () => {
  it('survive a restart: queued while nothing sends them, each delivered once after, a second apart', async () => {
    const { person, userId, sender } = await people('dina_notice');
    const before = makeBot(true);
    for (const amount of ['1.00', '2.00', '3.00']) await send(sender.id, userId, amount);
    await harness.eventually(async () => ((await queuedNotices()) === 3 ? true : undefined));
    expect(person.messages()).toEqual([]);
    // The process stops before any worker took them; a new one starts, with flood control on.
    await before.stop();
    telegram.rateLimit({ perChatPerSecond: 1, globalPerSecond: 25 });
    const startedAt = Date.now();
    const after = makeBot(false);
    const worker = await chatWorker(api, () => after);
    try {
      await harness.eventually(async () => (person.messages().length >= 3 ? true : undefined), 15_000);
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // room for a duplicate, were there one
      expect(received(person.messages().map((m) => m.text))).toEqual([
        `You received 1.00 KES from ${sender.id}.`,
        `You received 2.00 KES from ${sender.id}.`,
        `You received 3.00 KES from ${sender.id}.`,
      ]);
      expect(person.messages()).toHaveLength(3);
      const sends = telegram.calls.filter(
        (c) => c.method === 'sendMessage' && String(c.params.chat_id) === String(person.chatId),
      );
      expect(sends.map((c) => c.errorCode)).toEqual([undefined, undefined, undefined]);
      const times = sends.map((c) => c.time.getTime()).sort((a, b) => a - b);
      expect(times[0]).toBeGreaterThanOrEqual(startedAt);
      expect((times[2] as number) - (times[0] as number)).toBeGreaterThanOrEqual(2_000);
      expect(await queuedNotices()).toBe(0);
    } finally {
      telegram.rateLimit({});
      await worker.stop();
    }
  });

  it('are sent once when the job runs again after its message went out, or is queued twice', async () => {
    const { person, userId } = await people('emeka_notice');
    const bot = makeBot(false);
    const payload = {
      id: 'test.retry:1',
      userId,
      key: 'deposit.succeeded',
      values: { amount: '5.00', currency: 'KES' },
    };
    await bot.deliverNotice(payload);
    await bot.deliverNotice(payload);
    await enqueueNotice(api.database.pool, payload as never);
    await enqueueNotice(api.database.pool, payload as never);
    const worker = await chatWorker(api, () => bot);
    try {
      await harness.eventually(async () => ((await queuedNotices()) === 0 ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      await worker.stop();
    }
    expect(person.messages().map((m) => m.text)).toEqual(['Your deposit of 5.00 KES arrived.']);
    const { rows } = await api.database.pool.query(
      `SELECT state FROM chat_notice_deliveries WHERE notice_id = 'test.retry:1'`,
    );
    expect(rows).toEqual([{ state: 'sent' }]);
  });

  it('wait in the queue for a long flood control, and are given up on when the chat can’t take them', async () => {
    const { person, userId } = await people('fatuma_notice');
    const bot = makeBot(false);
    const notice = (id: string) => ({
      id,
      userId,
      key: 'withdraw.succeeded',
      values: { amount: '7.00', currency: 'KES' },
    });
    // Longer than the bot's auto-retry waits (a minute): queued again for when Telegram allows it.
    telegram.failNext('sendMessage', { errorCode: 429, retryAfter: 120 });
    await bot.deliverNotice(notice('test.flood:1'));
    expect(person.messages()).toEqual([]);
    const { rows: queued } = await api.database.pool.query(
      `SELECT run_at > now() + interval '100 seconds' AS later FROM graphile_worker.jobs
        WHERE task_identifier = 'chat_notice' AND key = 'notice:test.flood:1'`,
    );
    expect(queued).toEqual([{ later: true }]);
    // That job's run, when its time comes (here at once): the claim was given back, so it sends.
    await bot.deliverNotice(notice('test.flood:1'));
    expect(person.messages().map((m) => m.text)).toEqual(['Your withdrawal of 7.00 KES was paid out.']);

    telegram.failNext('sendMessage', { errorCode: 400, description: 'Bad Request: chat not found' });
    await bot.deliverNotice(notice('test.gone:1'));
    await bot.deliverNotice(notice('test.gone:1'));
    expect(person.messages()).toHaveLength(1);
    const { rows } = await api.database.pool.query(
      `SELECT notice_id, state FROM chat_notice_deliveries WHERE notice_id IN ('test.flood:1', 'test.gone:1') ORDER BY notice_id`,
    );
    expect(rows).toEqual([
      { notice_id: 'test.flood:1', state: 'sent' },
      { notice_id: 'test.gone:1', state: 'undeliverable' },
    ]);
    await api.database.pool.query(
      `DELETE FROM graphile_worker._private_jobs WHERE key = 'notice:test.flood:1'`,
    );
  });

  it('go back to the queue at once when Telegram is out of reach, with no token in the error', async () => {
    const { person, userId } = await people('hawa_notice');
    // Nothing listens there: every call fails with a network error, whose URL holds the token.
    const offline = newBot({ apiRoot: 'http://127.0.0.1:9' });
    const failed = await offline
      .deliverNotice({
        id: 'test.offline:1',
        userId,
        key: 'deposit.succeeded',
        values: { amount: '2.00', currency: 'KES' },
      })
      .then(
        () => undefined,
        (error: unknown) => error as Error,
      );
    expect(failed?.message).toMatch(/Network request for 'sendMessage' failed/);
    expect(JSON.stringify(failed) + failed?.message + failed?.stack).not.toContain(telegram.token);
    // The claim was given back: the job's retry sends it.
    const { rows } = await api.database.pool.query(
      `SELECT count(*)::int AS n FROM chat_notice_deliveries WHERE notice_id = 'test.offline:1'`,
    );
    expect(rows[0].n).toBe(0);
    expect(person.messages()).toEqual([]);
  });

  it('reach the person once when two bot processes hear the same news', async () => {
    const { person, userId, sender } = await people('gift_notice');
    const one = makeBot(true);
    const two = makeBot(true);
    await send(sender.id, userId, '4.00');
    await harness.eventually(async () => ((await queuedNotices()) >= 1 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 200)); // both have queued by now
    await one.stop();
    await two.stop();
    const worker = await chatWorker(api, () => one);
    try {
      await person.waitForMessage((m) => /You received 4.00 KES/.test(m.text ?? ''), 10_000);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      await worker.stop();
    }
    expect(person.messages()).toHaveLength(1);
  });
});
