/**
 * The Telegram bot end to end: grammY talking to our Bot API sandbox over HTTP, the flow engine and
 * the services on PostgreSQL, deposits through the M-Pesa sandbox, notices through the event bus.
 */
import { describe, expect, it } from 'vitest';
import type { TelegramBot } from '../../src/channels/telegram/bot.ts';
import type { SandboxUser } from '../../src/channels/telegram/sandbox.ts';
import { chatWorker } from './chat-worker.ts';
import { commandUpdate, telegramHarness } from './telegram-harness.ts';

const {
  api,
  telegram,
  makeBot: newBot,
} = await telegramHarness({
  providers: ['mpesa'],
  approvalAbove: 'KES=100000',
  worker: false,
});

const makeBot = (notices = false): TelegramBot =>
  newBot({ events: notices ? api.services.events : undefined });

let bot = makeBot(true);
await bot.registerCommands();
await bot.startPolling();
// Payments' jobs, and the notices, delivered by the bot that runs now.
await chatWorker(api, () => bot);

/** Sends `text` and waits for the bot's answer containing `expected`. */
async function say(user: SandboxUser, text: string, expected: RegExp) {
  user.send(text);
  return (await user.waitForMessage((m) => expected.test(m.text ?? ''), 10_000)).text ?? '';
}

async function press(user: SandboxUser, label: string, expected: RegExp) {
  user.pressButton(label);
  return (await user.waitForMessage((m) => expected.test(m.text ?? ''), 10_000)).text ?? '';
}

const alice = telegram.user({ username: 'alice_tg', firstName: 'Alice', languageCode: 'en' });
const bob = telegram.user({ username: 'bob_tg', firstName: 'Bob', languageCode: 'en' });

describe('the Telegram bot', () => {
  it('registers the commands in three languages', () => {
    expect(telegram.commands().map((c) => c.command)).toContain('withdraw');
    expect(telegram.commands('sw').find((c) => c.command === 'balance')?.description).toBe('Pochi zako');
    expect(telegram.commands('am').length).toBe(telegram.commands().length);
  });

  it('registers a person on /start', async () => {
    expect(await say(alice, '/start', /Welcome to ChatPay, Alice/)).toMatch(/What would you like to do/);
    expect(await say(bob, '/start', /Welcome to ChatPay, Bob/)).toBeTruthy();
  });

  it('deposits through the M-Pesa sandbox, and tells the person when the money arrives', async () => {
    await say(alice, '/deposit', /How much KES/);
    await say(alice, '150', /Which phone number pays/);
    alice.shareContact('+254708374149');
    await alice.waitForMessage((m) => /Deposit 150.00 KES with mpesa/.test(m.text ?? ''), 10_000);
    await press(alice, 'Confirm', /Check your phone/);
    await alice.waitForMessage((m) => /deposit of 150.00 KES arrived/.test(m.text ?? ''), 15_000);
    expect(await say(alice, '/balance', /KES/)).toMatch(/KES: 150.00/);
  });

  it('sends to another person, who is told', async () => {
    await say(alice, '/send', /Who should get the money/);
    await say(alice, '@nb', /can’t find @nb/);
    await say(alice, '@bob_tg', /How much KES/);
    await say(alice, '40', /Send 40.00 KES to @bob_tg\?/);
    await press(alice, 'Confirm', /Sent 40.00 KES to @bob_tg/);
    await bob.waitForMessage((m) => /You received 40.00 KES from @alice_tg/.test(m.text ?? ''), 10_000);
  });

  it('holds money for someone not on ChatPay yet, and gives it to them when they join', async () => {
    await say(alice, '/send', /Who should get the money/);
    await say(alice, '@carol_newcomer', /How much KES/);
    await say(alice, '20', /@carol_newcomer is not on ChatPay yet. Hold 20.00 KES/);
    await press(alice, 'Confirm', /Holding 20.00 KES for @carol_newcomer/);
    expect(await say(alice, '/balance', /KES/)).toMatch(/KES: 90.00 \(20.00 on hold\)/);
    const carol = telegram.user({ username: 'carol_newcomer', firstName: 'Carol', languageCode: 'en' });
    carol.send('/start');
    await carol.waitForMessage(
      (m) => /@alice_tg sent you 20.00 KES before you joined/.test(m.text ?? ''),
      10_000,
    );
    await alice.waitForMessage(
      (m) => /@carol_newcomer joined ChatPay and received the 20.00 KES/.test(m.text ?? ''),
      10_000,
    );
    expect(await say(carol, '/balance', /KES/)).toMatch(/KES: 20.00/);
    expect(await say(alice, '/balance', /KES/)).toMatch(/KES: 90.00$/);
    expect(await api.services.ledger.verify()).toEqual([]);
  });

  it('sets a PIN and deletes the message that held it, then withdraws with it', async () => {
    await say(alice, '/pin', /Choose a PIN/);
    const pinMessage = alice.send('1357');
    await alice.waitForMessage((m) => /PIN is set/.test(m.text ?? ''), 10_000);
    expect(alice.deletedMessageIds).toContain(pinMessage.message_id);

    await say(alice, '/withdraw', /How much KES/);
    await say(alice, '50', /Which phone number should receive/);
    alice.shareContact('+254708374149');
    await alice.waitForMessage((m) => /Withdraw 50.00 KES/.test(m.text ?? ''), 10_000);
    await press(alice, 'Confirm', /Enter your PIN/);
    await say(alice, '1357', /on its way/);
    await alice.waitForMessage((m) => /withdrawal of 50.00 KES was paid out/.test(m.text ?? ''), 15_000);
  });

  it('shows the history with a receipt per movement', async () => {
    const history = await say(alice, '/history', /latest movements/);
    expect(history).toMatch(/\+150.00 KES · deposit/);
    expect(history).toMatch(/−40.00 KES · transfer/);
    const depositLine = history.split('\n').find((line) => /\+150.00 KES · deposit/.test(line)) as string;
    await press(alice, depositLine, /Receipt dep_/);
    const receipt = alice.lastMessage()?.text ?? '';
    expect(receipt).toMatch(/Amount: 150.00 KES/);
    expect(receipt).toMatch(/Status: succeeded/);
  });

  it('switches language', async () => {
    await say(bob, '/language', /Choose your language/);
    await press(bob, 'Kiswahili', /Kiswahili/);
    expect(await say(bob, '/balance', /Pochi zako|ni tupu/)).toMatch(/KES: 40.00/);
  });

  it('cancels mid-flow', async () => {
    await say(alice, '/send', /Who should get the money/);
    expect(await say(alice, '/cancel', /Cancelled/)).toMatch(/Nothing was done/);
    expect(await say(alice, '@bob_tg', /did not understand/)).toBeTruthy();
  });

  it('locks the PIN after five wrong tries, and moves nothing', async () => {
    const before = await api.services.wallets.list(
      (await api.services.users.byChat('telegram', String(alice.id)))?.id as string,
    );
    await say(alice, '/send', /Who should get the money/);
    await say(alice, '@bob_tg', /How much KES/);
    await say(alice, '5', /Send 5.00 KES/);
    await press(alice, 'Confirm', /Sent|Enter your PIN/);
    // Below the PIN threshold a send needs no PIN; a withdrawal always does.
    await say(alice, '/withdraw', /How much KES/);
    await say(alice, '10', /Which phone number/);
    alice.shareContact('+254708374149');
    await alice.waitForMessage((m) => /Withdraw 10.00 KES/.test(m.text ?? ''), 10_000);
    await press(alice, 'Confirm', /Enter your PIN/);
    for (let i = 0; i < 4; i++) await say(alice, '0000', /Wrong PIN/);
    await say(alice, '0000', /locked for 15 minutes/);
    const after = await api.services.wallets.list(
      (await api.services.users.byChat('telegram', String(alice.id)))?.id as string,
    );
    const kes = (list: typeof before) => list.find((w) => w.currency === 'KES')?.available;
    expect(Number(kes(after))).toBe(Number(kes(before)) - 5);
  });

  it('gives an update delivered twice one effect', async () => {
    const update = commandUpdate(bob, 1_900_000_000, '/balance', 66_001);
    const before = bob.messages().length;
    telegram.inject(update as never);
    telegram.inject(update as never);
    await bob.waitForMessage((m) => /Pochi zako/.test(m.text ?? ''), 10_000);
    // Time for a second answer, were there one.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(bob.messages().length - before).toBe(1);
  });

  it('lets two bot processes handle one chat at once with no double effect', async () => {
    const second = makeBot();
    await second.bot.init();
    const update = {
      update_id: 1_950_000_000,
      message: {
        message_id: 77_001,
        date: Math.floor(Date.now() / 1000),
        chat: { id: bob.chatId, type: 'private' as const, first_name: 'Bob' },
        from: { id: bob.id, is_bot: false, first_name: 'Bob', username: 'bob_tg' },
        text: '/help',
        entities: [{ type: 'bot_command' as const, offset: 0, length: 5 }],
      },
    };
    const before = bob.messages().length;
    await Promise.all([bot.handleUpdate(update as never), second.handleUpdate(update as never)]);
    expect(bob.messages().length - before).toBe(1);
  });

  it('continues a flow after a restart', async () => {
    await say(alice, '/send', /Who should get the money/);
    await bot.stop();
    bot = makeBot(true);
    await bot.startPolling();
    expect(await say(alice, '@alice_tg', /yourself/)).toBeTruthy();
    await say(alice, '/cancel', /Cancelled/);
  });
});
