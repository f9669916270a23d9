/** Deposit: currency, provider, amount (fee and limits shown), payer, confirmation, next action. */
import { isChatPayError } from '../../../shared/errors.ts';
import { sha256Hex } from '../../../shared/hash.ts';
import { amountFrom, answer, ask, chunk, confirmButtons, done, friendly, menu, value } from '../common.ts';
import type { Flow, FlowContext, Step } from '../types.ts';
import { chooseCurrency, chooseProvider, type ProviderChoice } from './provider-choice.ts';

const collecting: ProviderChoice = {
  direction: 'deposit',
  question: 'deposit.ask_provider',
  candidates: (ctx, currency) =>
    ctx.services.payments
      .walletProviders()
      .filter((p) => p.capabilities.collect && (!currency || p.capabilities.currencies.includes(currency))),
};

export const depositFlow: Flow = {
  name: 'deposit',
  async start(ctx) {
    const currencies = [...new Set(collecting.candidates(ctx).flatMap((p) => p.capabilities.currencies))];
    if (currencies.length === 0) return done(menu(ctx, ctx.t('error.no_providers', { currency: '' })));
    if (currencies.length === 1) return chooseCurrency(ctx, collecting, currencies[0] as string);
    return ask(
      'currency',
      {},
      {
        text: ctx.t('ask.currency'),
        buttons: chunk(
          currencies.map((c) => ({ label: c, data: value(c) })),
          4,
        ),
      },
    );
  },
  async step(ctx, step, event) {
    const reply = answer(event);
    switch (step) {
      case 'currency':
        return chooseCurrency(ctx, collecting, reply ?? '');
      case 'provider':
        return chooseProvider(ctx, collecting, reply ?? '');
      case 'amount':
        return chooseAmount(ctx, reply);
      case 'payer':
        return choosePayer(ctx, reply ?? '');
      case 'confirm':
        return reply === 'yes' ? execute(ctx) : done(menu(ctx, ctx.t('cancelled')));
      default:
        return done(menu(ctx));
    }
  },
};

function chooseAmount(ctx: FlowContext, text: string | undefined): Step {
  const currency = String(ctx.data.currency);
  const minor = amountFrom(text, currency);
  if (minor === undefined) return ask('amount', { ...ctx.data }, { text: ctx.t('bad.amount', { currency }) });
  try {
    const quote = ctx.services.payments.quote({
      provider: String(ctx.data.provider),
      direction: 'deposit',
      amount: text?.replace(/[,\s]/g, '') ?? '',
      currency,
    });
    const data = { ...ctx.data, amount: quote.amount, fee: quote.fee, total: quote.total };
    const phone = ctx.data.collectWith === 'phone';
    return ask('payer', data, {
      text: ctx.t(phone ? 'deposit.ask_phone' : 'deposit.ask_email'),
      requestContact: phone,
    });
  } catch (error) {
    return ask(
      'amount',
      { ...ctx.data },
      { text: `${friendly(ctx, error)}\n${ctx.t('ask.amount', { currency })}` },
    );
  }
}

function choosePayer(ctx: FlowContext, payer: string): Step {
  const d = ctx.data;
  return ask(
    'confirm',
    { ...d, payer },
    {
      text: ctx.t('deposit.summary', {
        amount: String(d.amount),
        currency: String(d.currency),
        provider: String(d.provider),
        fee: String(d.fee),
        total: String(d.total),
      }),
      buttons: confirmButtons(ctx),
    },
  );
}

async function execute(ctx: FlowContext): Promise<Step> {
  const d = ctx.data;
  const payer = String(d.payer);
  try {
    const deposit = await ctx.services.payments.createCollection({
      id: `dep_${sha256Hex(`chat:${ctx.flowId}`).slice(0, 32)}`,
      owner: { userId: ctx.userId },
      provider: String(d.provider),
      amount: String(d.amount),
      currency: String(d.currency),
      ...(d.collectWith === 'phone' ? { phone: payer } : { email: payer }),
    });
    const values = { total: deposit.total, currency: deposit.currency };
    if (deposit.next_action?.type === 'redirect') {
      return done({
        text: ctx.t('deposit.redirect', values),
        buttons: [[{ label: ctx.t('btn.pay'), url: deposit.next_action.url }]],
      });
    }
    return done({ text: ctx.t('deposit.stk', values) });
  } catch (error) {
    if (isChatPayError(error, 'phone_invalid') || isChatPayError(error, 'validation_failed')) {
      return ask(
        'payer',
        { ...d },
        {
          text: ctx.t(d.collectWith === 'phone' ? 'deposit.ask_phone' : 'deposit.ask_email'),
          requestContact: d.collectWith === 'phone',
        },
      );
    }
    return done(menu(ctx, friendly(ctx, error)));
  }
}
