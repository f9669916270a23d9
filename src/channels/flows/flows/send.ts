/**
 * Send money to another person: recipient, currency, amount, summary, PIN when needed, receipt. The
 * recipient is an @username, a phone number or a shared contact; someone not on ChatPay yet gets the
 * money held for them (src/wallets/held.ts).
 */
import { isChatPayError } from '../../../shared/errors.ts';
import { sha256Hex } from '../../../shared/hash.ts';
import { formatAmount } from '../../../shared/money.ts';
import { looksLikePhone } from '../../../users/index.ts';
import {
  amountFrom,
  answer,
  ask,
  confirmButtons,
  contactPhone,
  done,
  e164,
  friendly,
  menu,
  value,
} from '../common.ts';
import type { ChatEvent, Flow, FlowContext, Step } from '../types.ts';

/** Telegram usernames: 5–32 of letters, digits and underscores. */
const telegramUsername = /^@[A-Za-z0-9_]{5,32}$/;

export const sendFlow: Flow = {
  name: 'send',
  async start(ctx) {
    return ask('to', {}, { text: ctx.t('send.ask_recipient') });
  },
  async step(ctx, step, event) {
    switch (step) {
      case 'to':
        return recipient(ctx, event);
      case 'currency':
        return currency(ctx, answer(event) ?? '');
      case 'amount':
        return amount(ctx, answer(event));
      case 'confirm':
        if (answer(event) !== 'yes') return done(menu(ctx, ctx.t('cancelled')));
        return execute(ctx, undefined);
      case 'pin':
        return {
          ...(await execute(ctx, event.type === 'text' ? event.text.trim() : '')),
          deleteIncoming: true,
        };
      default:
        return done(menu(ctx));
    }
  },
};

/**
 * Who the money is for: a user (found by @username, phone, email, or the chat account of a shared
 * contact), or someone not on ChatPay yet that it can wait for (an @username, or a phone number in
 * E.164), or nobody we can tell.
 */
type Recipient =
  | { readonly kind: 'user'; readonly id: string; readonly label: string }
  | { readonly kind: 'newcomer'; readonly handle: string; readonly label: string }
  | { readonly kind: 'unknown'; readonly label: string }
  | { readonly kind: 'bad_phone' };

async function findRecipient(ctx: FlowContext, event: ChatEvent): Promise<Recipient> {
  if (event.type === 'contact') {
    const phone = contactPhone(event.phone);
    const label = phone ?? event.phone;
    // The person in the card may be on ChatPay through this channel without a phone on file.
    const byChat = event.externalId ? await chatUser(ctx, event.externalId) : undefined;
    if (byChat) return { kind: 'user', id: byChat, label };
    if (!phone) return { kind: 'unknown', label };
    const found = await ctx.services.users.resolveRecipient(phone);
    return found ? { kind: 'user', id: found.id, label } : { kind: 'newcomer', handle: phone, label };
  }
  const to = answer(event) ?? '';
  const found = to ? await ctx.services.users.resolveRecipient(to) : undefined;
  if (found) return { kind: 'user', id: found.id, label: to };
  if (telegramUsername.test(to)) return { kind: 'newcomer', handle: to, label: to };
  if (looksLikePhone(to)) {
    const phone = e164(to);
    return phone ? { kind: 'newcomer', handle: phone, label: phone } : { kind: 'bad_phone' };
  }
  return { kind: 'unknown', label: to || '?' };
}

async function chatUser(ctx: FlowContext, externalId: string): Promise<string | undefined> {
  const { rows } = await ctx.services.pool.query<{ user_id: string }>(
    'SELECT user_id FROM user_identities WHERE provider = $1 AND external_id = $2',
    [ctx.channel, externalId],
  );
  return rows[0]?.user_id;
}

async function recipient(ctx: FlowContext, event: ChatEvent): Promise<Step> {
  const found = await findRecipient(ctx, event);
  if (found.kind === 'bad_phone') return ask('to', {}, { text: ctx.t('send.phone_format') });
  if (found.kind === 'unknown')
    return ask('to', {}, { text: ctx.t('send.unknown_recipient', { to: found.label }) });
  if (found.kind === 'user' && found.id === ctx.userId) return ask('to', {}, { text: ctx.t('send.self') });
  const wallets = (await ctx.wallets()).filter((w) => w.available !== formatAmount(0n, w.currency));
  if (wallets.length === 0) return done(menu(ctx, ctx.t('error.insufficient_funds')));
  const data =
    found.kind === 'user'
      ? { to: found.id, label: found.label }
      : { handle: found.handle, label: found.label };
  // One wallet with money: its currency needs no question (and no second look-up).
  if (wallets.length === 1) return askAmount(data, (wallets[0] as { currency: string }).currency, ctx);
  return ask('currency', data, {
    text: ctx.t('ask.currency'),
    buttons: [wallets.map((w) => ({ label: `${w.currency} (${w.available})`, data: value(w.currency) }))],
  });
}

async function currency(ctx: FlowContext, code: string): Promise<Step> {
  const wallet = await ctx.services.wallets.get(ctx.userId, code);
  if (!wallet) return ask('currency', { ...ctx.data }, { text: ctx.t('ask.currency') });
  return askAmount(ctx.data, code, ctx);
}

function askAmount(data: Readonly<Record<string, unknown>>, code: string, ctx: FlowContext): Step {
  return ask('amount', { ...data, currency: code }, { text: ctx.t('ask.amount', { currency: code }) });
}

async function amount(ctx: FlowContext, text: string | undefined): Promise<Step> {
  const currency = String(ctx.data.currency);
  const minor = amountFrom(text, currency);
  if (minor === undefined) return ask('amount', { ...ctx.data }, { text: ctx.t('bad.amount', { currency }) });
  const formatted = formatAmount(minor, currency);
  return ask(
    'confirm',
    { ...ctx.data, amount: formatted },
    {
      text: ctx.data.handle
        ? ctx.t('send.hold_summary', {
            amount: formatted,
            currency,
            to: String(ctx.data.label),
            days: heldDays(ctx),
          })
        : ctx.t('send.summary', { amount: formatted, currency, to: String(ctx.data.label) }),
      buttons: confirmButtons(ctx),
    },
  );
}

function heldDays(ctx: FlowContext): string {
  return String(Math.max(1, Math.round(ctx.services.held.holdSeconds / 86_400)));
}

async function execute(ctx: FlowContext, pin: string | undefined): Promise<Step> {
  const currency = String(ctx.data.currency);
  const amount = String(ctx.data.amount);
  try {
    if (ctx.data.handle) {
      const held = await ctx.services.held.hold({
        id: `hld_${sha256Hex(`chat:${ctx.flowId}`).slice(0, 32)}`,
        fromUserId: ctx.userId,
        to: String(ctx.data.handle),
        amount,
        currency,
        pin,
      });
      // Held for a phone number: they join by sharing it with the bot, or by signing up with it.
      const key = held.to.startsWith('@') ? 'send.held' : 'send.held_phone';
      return done(menu(ctx, ctx.t(key, { amount: held.amount, currency, to: String(ctx.data.label) })));
    }
    const transfer = await ctx.services.transfers.send({
      fromUserId: ctx.userId,
      to: String(ctx.data.to),
      amount,
      currency,
      pin,
      // One flow instance moves money once, however often its last step is answered.
      transferId: `txf_${sha256Hex(`chat:${ctx.flowId}`).slice(0, 32)}`,
    });
    const receipt = ctx.t('receipt', {
      id: transfer.id,
      amount,
      currency,
      fee: formatAmount(0n, currency),
      status: transfer.status,
      time: transfer.created_at.replace('T', ' ').slice(0, 16),
    });
    return done(
      menu(ctx, `${ctx.t('send.done', { amount, currency, to: String(ctx.data.label) })}\n\n${receipt}`),
    );
  } catch (error) {
    if (isChatPayError(error, 'pin_required')) return ask('pin', { ...ctx.data }, { text: ctx.t('pin.ask') });
    if (isChatPayError(error, 'pin_incorrect'))
      return ask('pin', { ...ctx.data }, { text: ctx.t('pin.wrong') });
    return done(menu(ctx, friendly(ctx, error)));
  }
}
