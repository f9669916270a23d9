/**
 * The flow engine on its own (no channel): conversations persisted in PostgreSQL, redelivered
 * updates, parallel handling of one chat, restarts, time-outs, and every user-visible string in all
 * three languages.
 */
import { describe, expect, it } from 'vitest';
import {
  type ChatEvent,
  type FlowEngine,
  type IncomingUpdate,
  languages,
  messages,
} from '../../src/channels/flows/index.ts';
import { testFlowEngine, testSessionPool } from '../helpers/flows.ts';
import { paymentsHarness } from '../helpers/payments.ts';

const harness = await paymentsHarness({
  providers: ['mpesa', 'flutterwave'],
  limitsJson: JSON.stringify([
    {
      currency: 'KES',
      direction: 'deposit',
      per_transaction_min: '10',
      per_transaction_max: '5000',
      per_day_max: '6000',
    },
  ]),
});
const { api } = harness;
let updateSeq = 1_000;

function engine(timeoutSeconds = 900): FlowEngine {
  return testFlowEngine(api, { sessionPool: testSessionPool(api, 4), sessionTimeoutSeconds: timeoutSeconds });
}

function person(id: number, username = `user${id}`, languageCode = 'en') {
  const chat = (event: ChatEvent, updateId = String(updateSeq++)): IncomingUpdate => ({
    channel: 'telegram',
    updateId,
    chatId: String(id),
    from: { externalId: String(id), username, firstName: `Name${id}`, languageCode },
    event,
  });
  return {
    command: (name: string) => chat({ type: 'command', name, args: '' }),
    text: (text: string) => chat({ type: 'text', text }),
    button: (data: string) => chat({ type: 'button', data }),
    chat,
  };
}

const bot = engine();
const lastText = async (update: IncomingUpdate, on = bot) => {
  const result = await on.handle(update);
  return result.replies.map((r) => r.text).join('\n');
};

describe('every string', () => {
  it('exists, non-empty, in English, Amharic and Swahili, with the same placeholders', () => {
    for (const key of Object.keys(messages.en) as (keyof typeof messages.en)[]) {
      const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      for (const language of languages) {
        expect([language, key, messages[language][key].length > 0]).toEqual([language, key, true]);
        expect([language, key, placeholders(messages[language][key])]).toEqual([
          language,
          key,
          placeholders(messages.en[key]),
        ]);
      }
    }
  });
});

describe('the flow engine', () => {
  it('registers on /start, answers /balance, and says what it did not understand', async () => {
    const alice = person(11);
    expect(await lastText(alice.command('start'))).toMatch(/Welcome to ChatPay, Name11/);
    expect(await lastText(alice.command('balance'))).toMatch(/wallets are empty/);
    expect(await lastText(alice.text('hello?'))).toMatch(/did not understand/);
    expect(await lastText(alice.command('start'))).toMatch(/Welcome back/);
  });

  it('handles a redelivered update once', async () => {
    const alice = person(12);
    await bot.handle(alice.command('start'));
    const update = alice.command('send');
    const first = await bot.handle(update);
    const again = await bot.handle(update);
    expect(first.duplicate).toBe(false);
    expect(again).toMatchObject({ duplicate: true, replies: [] });
  });

  it('sends money once even when the confirmation is pressed twice, and asks for the PIN above the threshold', async () => {
    const alice = person(13, 'alice13');
    const bob = person(14, 'bob14');
    await bot.handle(alice.command('start'));
    await bot.handle(bob.command('start'));
    const aliceId = (await bot.handle(alice.command('help'))).userId as string;
    await api.fund(aliceId, 'ETB', '5000.00');
    await bot.handle(alice.command('send'));
    expect(await lastText(alice.text('@nb'))).toMatch(/can’t find @nb/);
    expect(await lastText(alice.text('@bob14'))).toMatch(/How much ETB/);
    expect(await lastText(alice.text('12,5x'))).toMatch(/not an amount/);
    expect(await lastText(alice.text('2,000'))).toMatch(/Send 2000.00 ETB to @bob14\?/);
    expect(await lastText(alice.button('v:yes'))).toMatch(/need a PIN/);
    await bot.handle(alice.command('pin'));
    const setPin = await bot.handle(alice.text('2468'));
    expect(setPin.deleteIncoming).toBe(true);
    expect(setPin.replies[0]?.text).toMatch(/PIN is set/);

    await bot.handle(alice.command('send'));
    await bot.handle(alice.text('@bob14'));
    await bot.handle(alice.text('2000'));
    expect(await lastText(alice.button('v:yes'))).toMatch(/Enter your PIN/);
    expect(await lastText(alice.text('1111'))).toMatch(/Wrong PIN/);
    const sent = await bot.handle(alice.text('2468'));
    expect(sent.replies[0]?.text).toMatch(/Sent 2000.00 ETB to @bob14/);
    expect(sent.deleteIncoming).toBe(true);
    // The same last step again (a double tap that reached us twice as different updates).
    await bot.handle(alice.text('2468'));
    const wallet = await api.services.wallets.get(aliceId, 'ETB');
    expect(wallet?.available).toBe('3000.00');
  });

  it('continues a flow after a restart, and cancels mid-flow', async () => {
    const carol = person(15);
    await bot.handle(carol.command('start'));
    await bot.handle(carol.command('send'));
    const restarted = engine();
    expect(await lastText(carol.text('@user15'), restarted)).toMatch(/yourself/);
    expect(await lastText(carol.command('cancel'), restarted)).toMatch(/Cancelled/);
    expect(await lastText(carol.command('cancel'), restarted)).toMatch(/nothing to cancel/);
  });

  it('times out a stale conversation', async () => {
    const dave = person(16);
    const quick = engine(1);
    await quick.handle(dave.command('start'));
    await quick.handle(dave.command('send'));
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await lastText(dave.text('@someone'), quick)).toMatch(/timed out/);
  });

  it('switches language, and keeps it', async () => {
    const erin = person(17, 'erin17', 'sw');
    expect(await lastText(erin.command('start'))).toMatch(/Karibu ChatPay/);
    await bot.handle(erin.command('language'));
    expect(await lastText(erin.button('v:am'))).toMatch(/በአማርኛ/);
    expect(await lastText(erin.command('balance'))).toMatch(/ባዶ/);
  });

  it('handles one chat’s updates from two engines at once without a double effect', async () => {
    const frank = person(18, 'frank18');
    const grace = person(19, 'grace19');
    await bot.handle(frank.command('start'));
    await bot.handle(grace.command('start'));
    const frankId = (await bot.handle(frank.command('help'))).userId as string;
    await api.fund(frankId, 'KES', '100.00');
    await bot.handle(frank.command('send'));
    await bot.handle(frank.text('@grace19'));
    await bot.handle(frank.text('40'));
    const other = engine();
    // Two processes each get a confirmation (a double tap): one moves the money, the other finds
    // the flow over.
    await Promise.all([bot.handle(frank.button('v:yes')), other.handle(frank.button('v:yes'))]);
    expect((await api.services.wallets.get(frankId, 'KES'))?.available).toBe('60.00');
    expect(await api.services.ledger.verify()).toEqual([]);
  });

  it('shows the limits before asking how much, and explains one that is passed', async () => {
    const hana = person(20, 'hana20');
    await bot.handle(hana.command('start'));
    expect(await lastText(hana.command('deposit'))).toMatch(/Which currency/);
    expect(await lastText(hana.button('v:KES'))).toMatch(/How do you want to pay in KES/);
    expect(await lastText(hana.button('v:mpesa'))).toMatch(
      /How much KES\?.*\nLimits: at least 10.00 KES, at most 5000.00 KES, up to 6000.00 KES a day\./s,
    );
    expect(await lastText(hana.text('9000'))).toMatch(/passes a limit: The largest deposit is 5000.00 KES/);
  });

  it('withdraws to a bank from the provider’s list, with the account holder’s name looked up', async () => {
    const ivan = person(21, 'ivan21');
    await bot.handle(ivan.command('start'));
    const ivanId = (await bot.handle(ivan.command('help'))).userId as string;
    await api.fund(ivanId, 'NGN', '5000.00');
    await bot.handle(ivan.command('pin'));
    await bot.handle(ivan.text('8642'));
    expect(await lastText(ivan.command('withdraw'))).toMatch(/How much NGN/);
    const banks = await bot.handle(ivan.text('1000'));
    expect(banks.replies[0]?.text).toMatch(/Which bank/);
    const access = banks.replies[0]?.buttons?.flat().find((b) => /Access/.test(b.label));
    expect(access).toBeDefined();
    expect(await lastText(ivan.button(access?.data as string))).toMatch(/account number at Access/);
    expect(await lastText(ivan.text('12'))).toMatch(/not an account number/);
    const summary = await lastText(ivan.text('0690000031'));
    expect(summary).toMatch(/Withdraw 1000.00 NGN to Access.* 0690000031 \(.+\) with flutterwave/);
    expect(await lastText(ivan.button('v:yes'))).toMatch(/Enter your PIN/);
    expect(await lastText(ivan.text('8642'))).toMatch(/on its way/);
    await harness.eventually(async () => {
      const { rows } = await api.database.pool.query(
        `SELECT status FROM payments WHERE user_id = $1 AND kind = 'withdrawal'`,
        [ivanId],
      );
      return rows[0]?.status === 'succeeded' ? true : undefined;
    });
    expect(await api.services.ledger.verify()).toEqual([]);
  });

  it('keeps the name a person registers with, whatever its characters', async () => {
    const name = { firstName: "Zoë O’Neil's", lastName: 'Back\\slash "x"; DROP' };
    const result = await bot.handle({
      channel: 'telegram',
      updateId: String(updateSeq++),
      chatId: '31',
      from: { externalId: '31', languageCode: 'en', ...name },
      event: { type: 'command', name: 'start', args: '' },
    });
    const { rows } = await api.database.pool.query('SELECT display_name FROM users WHERE id = $1', [
      result.userId,
    ]);
    expect(rows).toEqual([{ display_name: `${name.firstName} ${name.lastName}` }]);
  });

  it('takes a contact shared outside any question as the person’s number, if it is theirs', async () => {
    const jane = person(32, 'jane32');
    expect(await lastText(jane.command('start'))).toMatch(/Welcome to ChatPay/);
    expect(await lastText(jane.command('balance'))).toMatch(/wallets are empty/);
    const contact = (own: boolean) => jane.chat({ type: 'contact', phone: '+254755000006', own });
    expect(await lastText(contact(false))).toMatch(/someone else’s contact/);
    expect(await lastText(jane.text('never mind'))).toMatch(/What would you like to do/);
    expect(await lastText(contact(true))).toMatch(/\+254755000006 is now your ChatPay number/);
    const userId = (await bot.handle(jane.command('help'))).userId as string;
    expect((await api.services.users.get(userId))?.phone).toBe('+254755000006');
    // Known now: /start no longer asks.
    const again = await bot.handle(jane.command('start'));
    expect(again.replies.map((r) => r.requestContact ?? false)).toEqual([false]);
  });

  it('refuses a malformed number, shared or typed, and keeps the number a person has', async () => {
    const kofi = person(33, 'kofi33');
    await bot.handle(kofi.command('start'));
    const own = (phone: string) => kofi.chat({ type: 'contact', phone, own: true });
    expect(await lastText(own('12345'))).toMatch(/with its country code/);
    const userId = (await bot.handle(kofi.command('help'))).userId as string;
    expect((await api.services.users.get(userId))?.phone).toBeNull();
    expect(await lastText(own('254766000007'))).toMatch(/\+254766000007 is now your ChatPay number/);
    expect(await lastText(own('+254766000008'))).toMatch(/Your ChatPay number is already \+254766000007/);
    expect((await api.services.users.get(userId))?.phone).toBe('+254766000007');
    // Sending: a typed number that can't be one, and a card whose number isn't one nor on Telegram.
    await bot.handle(kofi.command('send'));
    expect(await lastText(kofi.text('+1 555 000'))).toMatch(/with its country code/);
    const card = kofi.chat({ type: 'contact', phone: '12345', own: false });
    expect(await lastText(card)).toMatch(/can’t find 12345 on ChatPay/);
  });
});
