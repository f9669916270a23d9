/** The flows of one step or two: start (with the phone number, when unknown), help, balance, language. */
import { formatAmount } from '../../../shared/money.ts';
import { ask, done, menu, value } from '../common.ts';
import { isLanguage, languageNames, languages, t } from '../i18n.ts';
import type { Flow, FlowContext } from '../types.ts';
import { askPhone, phoneFlow } from './phone.ts';

/** Welcome and menu; someone whose phone we don't know yet is asked to share it (see phone.ts). */
export const startFlow: Flow = {
  name: 'start',
  async start(ctx) {
    const welcome = menu(
      ctx,
      `${ctx.t(ctx.data.created ? 'welcome' : 'welcome_back', { name: ctx.name })}\n\n${ctx.t('menu')}`,
    );
    const user = await ctx.services.users.get(ctx.userId);
    if (user?.phone) return done(welcome);
    return ask('contact', {}, welcome, askPhone(ctx));
  },
  step: (ctx, step, event) => phoneFlow.step(ctx, step, event),
};

export const helpFlow: Flow = {
  name: 'help',
  async start(ctx) {
    return done(menu(ctx, ctx.t('help')));
  },
  async step(ctx) {
    return done(menu(ctx));
  },
};

export async function balanceText(ctx: FlowContext): Promise<string> {
  const wallets = await ctx.wallets();
  const lines = wallets
    .filter(
      (w) => w.posted !== formatAmount(0n, w.currency) || w.pending.outgoing !== formatAmount(0n, w.currency),
    )
    .map((w) => {
      const held = w.pending.outgoing !== formatAmount(0n, w.currency);
      const line = ctx.t('balance.line', { currency: w.currency, available: w.available });
      return held ? `${line} ${ctx.t('balance.pending', { pending: w.pending.outgoing })}` : line;
    });
  return lines.length === 0 ? ctx.t('balance.empty') : `${ctx.t('balance.title')}\n${lines.join('\n')}`;
}

export const balanceFlow: Flow = {
  name: 'balance',
  async start(ctx) {
    return { ...done(menu(ctx, await balanceText(ctx))), informational: true };
  },
  async step(ctx) {
    return done(menu(ctx));
  },
};

export const languageFlow: Flow = {
  name: 'language',
  async start(ctx) {
    return {
      replies: [
        {
          text: ctx.t('language.ask'),
          buttons: [languages.map((l) => ({ label: languageNames[l], data: value(l) }))],
        },
      ],
      next: 'choose',
      data: {},
    };
  },
  async step(ctx, _step, event) {
    const chosen =
      event.type === 'button' ? event.data.slice(2) : event.type === 'text' ? event.text.trim() : '';
    if (!isLanguage(chosen)) return languageFlow.start(ctx, event);
    const inNew = {
      ...ctx,
      language: chosen,
      t: (key: Parameters<typeof t>[1], values?: Record<string, string>) => t(chosen, key, values),
    };
    return {
      replies: [menu(inNew, `${t(chosen, 'language.set')}\n\n${t(chosen, 'menu')}`)],
      language: chosen,
    };
  },
};
