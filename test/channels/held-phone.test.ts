/**
 * Money held for a phone number: sent to a typed number or a shared contact of someone not on
 * ChatPay, claimed when a user proves that number is theirs by sharing their own contact with the
 * bot. Typing it into an API registration proves nothing and claims nothing. The bot talks to the Bot API sandbox over HTTP; notices go through
 * the job queue to the worker's bot.
 */
import { describe, expect, it } from 'vitest';
import type { SandboxUser } from '../../src/channels/telegram/sandbox.ts';
import { chatWorker } from './chat-worker.ts';
import { telegramHarness } from './telegram-harness.ts';

const { api, telegram, makeBot } = await telegramHarness({ providers: [], worker: false });
const bot = makeBot({ events: api.services.events });
await bot.startPolling();
await chatWorker(api, () => bot);

async function say(user: SandboxUser, text: string, expected: RegExp) {
  user.send(text);
  return (await user.waitForMessage((m) => expected.test(m.text ?? ''), 10_000)).text ?? '';
}

async function userOf(person: SandboxUser) {
  const user = await api.services.users.byChat('telegram', String(person.id));
  if (!user) throw new Error(`${person.id} has not written to the bot`);
  return user;
}

async function available(userId: string) {
  return (await api.services.wallets.get(userId, 'KES'))?.available;
}

const alice = telegram.user({ username: 'alice_phone', firstName: 'Alice', languageCode: 'en' });
await say(alice, '/start', /Welcome to ChatPay, Alice/);
const aliceId = (await userOf(alice)).id;
await api.fund(aliceId, 'KES', '100.00');

/** Alice sends `amount` through the chat, the recipient given by `pick`; returns the last answer. */
async function aliceSends(pick: () => void, summary: RegExp, amount: string) {
  await say(alice, '/send', /Who should get the money/);
  pick();
  await alice.waitForMessage((m) => /How much KES/.test(m.text ?? ''), 10_000);
  await say(alice, amount, summary);
  alice.pressButton('Confirm');
  return (await alice.waitForMessage((m) => /^(Holding|Sent)/.test(m.text ?? ''), 10_000)).text ?? '';
}

describe('money held for a phone number', () => {
  it('asks a newcomer for their number on /start, and keeps their name', async () => {
    const eve = telegram.user({
      username: 'eve_phone',
      firstName: 'Eve',
      lastName: 'Example',
      languageCode: 'en',
    });
    await say(eve, '/start', /Welcome to ChatPay, Eve/);
    await eve.waitForMessage((m) => /Share your phone number with the button below/.test(m.text ?? ''));
    expect(eve.replyKeyboard()?.keyboard.flat()).toEqual([
      { text: '📱 Share my phone number', request_contact: true },
    ]);
    const { rows } = await api.database.pool.query('SELECT display_name, phone FROM users WHERE id = $1', [
      (await userOf(eve)).id,
    ]);
    expect(rows).toEqual([{ display_name: 'Eve Example', phone: null }]);
  });

  it('holds money sent to a typed number, and gives it to the person who shares that number as theirs', async () => {
    expect(await say(alice, '/send', /Who should get the money/)).not.toMatch(/share their/);
    expect(await say(alice, '0711000001', /country code/)).toMatch(/\+254712345678/);
    await say(alice, '+254 711 000 001', /How much KES/);
    await say(alice, '20', /\+254711000001 is not on ChatPay yet. Hold 20.00 KES/);
    alice.pressButton('Confirm');
    await alice.waitForMessage((m) =>
      /Holding 20.00 KES for \+254711000001.*share their phone number/.test(m.text ?? ''),
    );
    expect(await available(aliceId)).toBe('80.00');

    const femi = telegram.user({ username: 'femi_phone', firstName: 'Femi', languageCode: 'en' });
    await say(femi, '/start', /Share your phone number/);
    // Someone else's card is not theirs to claim with.
    femi.shareContactCard({ phoneNumber: '+254711000001', firstName: 'Other', userId: alice.id });
    await femi.waitForMessage((m) => /someone else’s contact/.test(m.text ?? ''));
    const femiId = (await userOf(femi)).id;
    expect(await available(femiId)).toBe('0.00');
    // Telegram may give the number without its '+'.
    femi.shareContact('254711000001');
    const saved = await femi.waitForMessage((m) =>
      /\+254711000001 is now your ChatPay number/.test(m.text ?? ''),
    );
    expect(saved.text).toMatch(/@alice_phone sent you 20.00 KES before you joined/);
    // The trigger's claim job waits behind the chat's own claim, as its backup.
    const { rows: backup } = await api.database.pool.query(
      `SELECT run_at > now() + interval '20 seconds' AS later FROM graphile_worker.jobs WHERE key = $1`,
      [`held_claim:${femiId}`],
    );
    expect(backup).toEqual([{ later: true }]);
    await alice.waitForMessage((m) =>
      /\+254711000001 joined ChatPay and received the 20.00 KES/.test(m.text ?? ''),
    );
    expect(await available(femiId)).toBe('20.00');
    expect(await available(aliceId)).toBe('80.00');
    expect((await api.services.users.get(femiId))?.phone).toBe('+254711000001');
    expect(await api.services.ledger.verify()).toEqual([]);
  });

  it('refuses a number another user has', async () => {
    const gabe = telegram.user({ username: 'gabe_phone', firstName: 'Gabe', languageCode: 'en' });
    await say(gabe, '/start', /Share your phone number/);
    gabe.shareContact('+254711000001');
    await gabe.waitForMessage((m) => /\+254711000001 belongs to another ChatPay account/.test(m.text ?? ''));
    expect((await userOf(gabe)).phone).toBeNull();
  });

  it('holds money sent to a shared contact: a registration typing that number gets none of it, its owner does', async () => {
    const text = await aliceSends(
      () => alice.shareContactCard({ phoneNumber: '254722000002', firstName: 'Hana' }),
      /\+254722000002 is not on ChatPay yet/,
      '15',
    );
    expect(text).toMatch(/Holding 15.00 KES for \+254722000002/);
    expect(await available(aliceId)).toBe('65.00');
    // Someone registers through the API with Hana's number: it claims nothing, and sends to the
    // number don't reach them either.
    const squatter = await api.register({ phone: '+254722000002' });
    const { rows: jobs } = await api.database.pool.query(
      `SELECT 1 FROM graphile_worker.jobs WHERE key = $1`,
      [`held_claim:${squatter.id}`],
    );
    expect(jobs).toEqual([]);
    expect(await api.services.users.resolveRecipient('+254722000002')).toBeUndefined();
    // Hana shares her own number in the chat: it becomes hers, and so does the money.
    const hanaChat = telegram.user({ username: 'hana_phone', firstName: 'Hana', languageCode: 'en' });
    await say(hanaChat, '/start', /Share your phone number/);
    hanaChat.shareContact('+254722000002');
    const saved = await hanaChat.waitForMessage((m) =>
      /\+254722000002 is now your ChatPay number/.test(m.text ?? ''),
    );
    expect(saved.text).toMatch(/sent you 15.00 KES before you joined/);
    const hana = await userOf(hanaChat);
    expect(await available(hana.id)).toBe('15.00');
    expect((await api.services.users.get(squatter.id))?.phone).toBeNull();
    expect((await api.services.users.resolveRecipient('+254722000002'))?.id).toBe(hana.id);
    await alice.waitForMessage((m) =>
      /\+254722000002 joined ChatPay and received the 15.00 KES/.test(m.text ?? ''),
    );
    const { rows } = await api.database.pool.query(
      `SELECT status, claimed_by FROM held_transfers WHERE to_handle = '+254722000002'`,
    );
    expect(rows).toEqual([{ status: 'claimed', claimed_by: hana.id }]);
    expect(await available(aliceId)).toBe('65.00');
    expect(await api.services.ledger.verify()).toEqual([]);
  });

  it('sends straight to someone on ChatPay whose card is shared, even without their number on file', async () => {
    const ida = telegram.user({ username: 'ida_phone', firstName: 'Ida', languageCode: 'en' });
    await say(ida, '/start', /Share your phone number/);
    const text = await aliceSends(
      () => alice.shareContactCard({ phoneNumber: '+254733000003', firstName: 'Ida', userId: ida.id }),
      /Send 5.00 KES to \+254733000003\?/,
      '5',
    );
    expect(text).toMatch(/Sent 5.00 KES to \+254733000003/);
    await ida.waitForMessage((m) => /You received 5.00 KES from @alice_phone/.test(m.text ?? ''));
    expect(await available((await userOf(ida)).id)).toBe('5.00');
    const { rows } = await api.database.pool.query(
      `SELECT count(*)::int AS n FROM held_transfers WHERE to_handle = '+254733000003'`,
    );
    expect(rows[0].n).toBe(0);
  });
});
