/** Send money to another person: recipient, currency, amount, summary, PIN when needed, receipt. */
import { isChatPayError } from '../../../shared/errors.ts';
import { sha256Hex } from '../../../shared/hash.ts';
import { formatAmount } from '../../../shared/money.ts';
import { amountFrom, answer, ask, confirmButtons, done, friendly, menu, value } from '../common.ts';
import type { Flow, FlowContext, Step } from '../types.ts';

/** Telegram usernames: 5–32 of letters, digits and underscores. */
const telegramUsername = /^@[A-Za-z0-9_]{5,32}$/;

export const sendFlow: Flow = {
  name: 'send',
  async start(ctx) {
    return ask('to', {}, { text: ctx.t('send.ask_recipient'), requestContact: true });
  },
  async step(ctx, step, event) {
    switch (step) {
      case 'to':
        return recipient(ctx, answer(event) ?? '');
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

async function recipient(ctx: FlowContext, to: string): Promise<Step> {
  const found = to ? await ctx.services.users.resolveRecipient(to) : undefined;
  // Someone not on ChatPay yet, named by Telegram username: the money can wait for them.
  const newcomer = !found && telegramUsername.test(to);
  if (!found && !newcomer) {
    return ask('to', {}, { text: ctx.t('send.unknown_recipient', { to: to || '?' }), requestContact: true });
  }
  if (found?.id === ctx.userId) return ask('to', {}, { text: ctx.t('send.self'), requestContact: true });
  const wallets = (await ctx.services.wallets.list(ctx.userId)).filter(
    (w) => w.available !== formatAmount(0n, w.currency),
  );
  if (wallets.length === 0) return done(menu(ctx, ctx.t('error.insufficient_funds')));
  const data = found ? { to: found.id, label: to } : { handle: to, label: to };
  if (wallets.length === 1) return currency({ ...ctx, data }, (wallets[0] as { currency: string }).currency);
  return ask('currency', data, {
    text: ctx.t('ask.currency'),
    buttons: [wallets.map((w) => ({ label: `${w.currency} (${w.available})`, data: value(w.currency) }))],
  });
}

async function currency(ctx: FlowContext, code: string): Promise<Step> {
  const wallet = await ctx.services.wallets.get(ctx.userId, code);
  if (!wallet) return ask('currency', { ...ctx.data }, { text: ctx.t('ask.currency') });
  return ask('amount', { ...ctx.data, currency: code }, { text: ctx.t('ask.amount', { currency: code }) });
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
      return done(
        menu(ctx, ctx.t('send.held', { amount: held.amount, currency, to: String(ctx.data.label) })),
      );
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
