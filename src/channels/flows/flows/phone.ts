/**
 * The person's own phone number, shared with the channel's "share my phone number" button (on
 * Telegram a reply keyboard with `request_contact`). Only a contact the channel vouches is the
 * person's own is taken, and only a number no other user has: it becomes the user's phone, and money
 * held for that number is theirs at once. A typed number is refused: anyone can type any number.
 */
import { enqueue } from '../../../db/jobs.ts';
import { ask, contactPhone, done, menu } from '../common.ts';
import type { ChatEvent, Flow, FlowContext, OutMessage, Step } from '../types.ts';

/** How long the trigger's claim job waits behind the chat's own claim (see `linkPhone`). */
const backupClaimDelayMs = 30_000;

export const askPhone = (ctx: FlowContext, text = ctx.t('phone.ask')): OutMessage => ({
  text,
  requestContact: true,
});

export const phoneFlow: Flow = {
  name: 'phone',
  async start(ctx, event) {
    if (event.type === 'contact') return savePhone(ctx, event);
    return ask('contact', {}, askPhone(ctx));
  },
  async step(ctx, _step, event) {
    if (event.type === 'contact') return savePhone(ctx, event);
    // Anything else: the person would rather not; the menu carries on.
    return done(menu(ctx));
  },
};

async function savePhone(ctx: FlowContext, event: ChatEvent & { type: 'contact' }): Promise<Step> {
  if (!event.own) return ask('contact', {}, askPhone(ctx, ctx.t('phone.not_yours')));
  const phone = contactPhone(event.phone);
  if (!phone) return done(menu(ctx, ctx.t('send.phone_format')));
  const outcome = await linkPhone(ctx, phone);
  if (outcome === 'taken') return done(menu(ctx, ctx.t('phone.taken', { phone })));
  if (outcome !== 'linked') return done(menu(ctx, ctx.t('phone.other', { phone: outcome.other })));
  // The money that waited for this number (its senders are told through the notice queue).
  const claimed = await ctx.services.held.claim(ctx.userId, [phone]);
  const arrived = claimed.map((c) =>
    ctx.t('held.received', { from: c.fromLabel, amount: c.amount, currency: c.currency }),
  );
  return done(menu(ctx, [ctx.t('phone.saved', { phone }), ...arrived].join('\n\n')));
}

/**
 * Sets the user's phone, as verified (the channel vouched it is theirs), unless another user has it
 * verified or they have another already (a number someone signs in with is changed where they sign
 * in, not by a chat). Another user's *unverified* copy (typed at an API registration) gives way: the
 * owner proved the number, the registration did not; that user keeps their account and email. The
 * same number typed at registration and now shared is verified. Saving it also queues, by trigger, a
 * claim of what is held for it; here that job is put off by `backupClaimDelayMs`, in the same
 * transaction, so the claim just above (which shows the money in this reply) runs first and the job
 * is only its backup, for a process that stops in between. Run at once, the job could win the race
 * and the reply would not show the money (its notice would).
 */
async function linkPhone(ctx: FlowContext, phone: string): Promise<'linked' | 'taken' | { other: string }> {
  const client = await ctx.services.pool.connect();
  try {
    await client.query('BEGIN');
    // Its own statement, before the link: the unique index on phone is checked row by row.
    await client.query(
      `UPDATE users SET phone = NULL WHERE phone = $2 AND id <> $1 AND phone_verified_at IS NULL
          AND EXISTS (SELECT 1 FROM users WHERE id = $1 AND (phone IS NULL OR phone = $2))`,
      [ctx.userId, phone],
    );
    const { rows } = await client.query<{ current: string | null; taken: boolean; updated: boolean }>(
      `WITH taken AS (SELECT 1 FROM users WHERE phone = $2 AND id <> $1),
            linked AS (UPDATE users SET phone = $2, phone_verified_at = now()
                        WHERE id = $1 AND (phone IS NULL OR (phone = $2 AND phone_verified_at IS NULL))
                          AND NOT EXISTS (SELECT 1 FROM taken) RETURNING phone)
       SELECT coalesce((SELECT phone FROM linked), (SELECT phone FROM users WHERE id = $1)) AS current,
              EXISTS (SELECT 1 FROM taken) AS taken, EXISTS (SELECT 1 FROM linked) AS updated`,
      [ctx.userId, phone],
    );
    const row = rows[0];
    if (!row || (!row.taken && !row.current)) throw new Error(`no user ${ctx.userId}`);
    // The trigger's job (src/db/migrations/0010-chat-notices.ts), under its key: moved later.
    if (row.updated)
      await enqueue(
        client,
        'held_transfers_claim',
        { user_id: ctx.userId },
        { jobKey: `held_claim:${ctx.userId}`, runAt: new Date(Date.now() + backupClaimDelayMs) },
      );
    await client.query('COMMIT');
    if (row.taken) return 'taken';
    return row.current === phone ? 'linked' : { other: row.current as string };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    // Another user took the number between the check and the update.
    if ((error as { code?: string }).code === '23505') return 'taken';
    throw error;
  } finally {
    client.release();
  }
}
