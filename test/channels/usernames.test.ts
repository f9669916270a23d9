/**
 * Telegram usernames move between people: `@name` must reach whoever Telegram last said has it, not
 * whoever had it when they first wrote (someone could take a name, start the bot, and hand the name
 * on, keeping every later `@name` payment).
 */
import { describe, expect, it } from 'vitest';
import type { IncomingUpdate } from '../../src/channels/flows/index.ts';
import { testApi } from '../helpers/api.ts';
import { testFlowEngine } from '../helpers/flows.ts';

const api = await testApi();
const users = api.services.users;
const recipientOf = async (to: string) => (await users.resolveRecipient(to))?.id;

describe('chat usernames', () => {
  it('follow the latest update: renames, a name taken over by a newcomer, and a name dropped', async () => {
    const a = (await users.fromChat('telegram', '810001', { username: 'BigShop' })).user;
    expect(await recipientOf('@bigshop')).toBe(a.id);
    // A renames: their next first message carries the new name.
    await users.fromChat('telegram', '810001', { username: 'bigshop_old' });
    expect(await recipientOf('@bigshop')).toBeUndefined();
    expect(await recipientOf('@bigshop_old')).toBe(a.id);
    // A takes the name back, then hands it on without writing again; B writes first with it.
    await users.fromChat('telegram', '810001', { username: 'bigshop' });
    const b = (await users.fromChat('telegram', '810002', { username: 'BIGSHOP' })).user;
    expect(await recipientOf('@bigshop')).toBe(b.id);
    // A writes again with no username at all: A keeps none.
    await users.fromChat('telegram', '810001', {});
    expect(await recipientOf('@bigshop_old')).toBeUndefined();
    const { rows } = await api.database.pool.query(
      `SELECT external_id, username FROM user_identities WHERE external_id IN ('810001', '810002') ORDER BY 1`,
    );
    expect(rows).toEqual([
      { external_id: '810001', username: null },
      { external_id: '810002', username: 'BIGSHOP' },
    ]);
    // Looking someone up changes nothing.
    expect((await users.byChat('telegram', '810002'))?.id).toBe(b.id);
    expect(await users.byChat('telegram', '810999')).toBeUndefined();
  });

  it('go to one of two people taking a name at once, with no error', async () => {
    // Known identities, so each update takes the name with the same path (the session's rename).
    const ids = ['830001', '830002'];
    for (const id of ids) await users.fromChat('telegram', id, { username: `racer_${id}` });
    for (let round = 0; round < 10; round++) {
      const name = `raced_${round}`;
      const results = await Promise.allSettled(
        ids.map((id) => users.fromChat('telegram', id, { username: name })),
      );
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      const { rows } = await api.database.pool.query<{ external_id: string }>(
        `SELECT external_id FROM user_identities WHERE provider = 'telegram' AND lower(username) = $1`,
        [name],
      );
      expect(rows).toHaveLength(1);
      expect(ids).toContain(rows[0]?.external_id);
    }
  });

  it('follow a rename in a chat the bot already knows, on the next message', async () => {
    const bot = testFlowEngine(api);
    let seq = 0;
    const message = (username: string | undefined): IncomingUpdate => ({
      channel: 'telegram',
      updateId: `u-${seq++}`,
      chatId: '820001',
      from: { externalId: '820001', username, firstName: 'Renamer', languageCode: 'en' },
      event: { type: 'command', name: 'balance', args: '' },
    });
    await bot.handle(message('first_name'));
    const me = (await users.byChat('telegram', '820001'))?.id;
    expect(await recipientOf('@first_name')).toBe(me);
    await bot.handle(message('second_name'));
    expect(await recipientOf('@first_name')).toBeUndefined();
    expect(await recipientOf('@second_name')).toBe(me);
    await bot.handle(message(undefined));
    expect(await recipientOf('@second_name')).toBeUndefined();
  });
});
