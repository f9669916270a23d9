/**
 * Withdraw to a phone: currency, provider, amount, destination, summary with fee, PIN, status. In
 * chat, only providers that pay phones are offered (bank payouts need a bank picker: the API has it).
 */
import { isChatPayError } from '../../../shared/errors.ts';
import { sha256Hex } from '../../../shared/hash.ts';
import { formatAmount } from '../../../shared/money.ts';
import {
  amountFrom,
  answer,
  ask,
  askAmountText,
  confirmButtons,
  done,
  friendly,
  menu,
  value,
} from '../common.ts';
import type { Flow, FlowContext, Step } from '../types.ts';
import { chunk } from './deposit.ts';

function payers(ctx: FlowContext, currency?: string) {
  return ctx.services.payments
    .providers()
    .filter(
      (p) =>
        p.capabilities.payout &&
        p.capabilities.payoutDestinations.includes('phone') &&
        (!currency || p.capabilities.currencies.includes(currency)),
    );
}

export const withdrawFlow: Flow = {
  name: 'withdraw',
  async start(ctx) {
    const wallets = (await ctx.services.wallets.list(ctx.userId)).filter(
      (w) => w.available !== formatAmount(0n, w.currency) && payers(ctx, w.currency).length > 0,
    );
    if (wallets.length === 0) return done(menu(ctx, ctx.t('error.insufficient_funds')));
    if (wallets.length === 1) return chooseCurrency(ctx, (wallets[0] as { currency: string }).currency);
    return ask(
      'currency',
      {},
      {
        text: ctx.t('ask.currency'),
        buttons: chunk(
          wallets.map((w) => ({ label: `${w.currency} (${w.available})`, data: value(w.currency) })),
          3,
        ),
      },
    );
  },
  async step(ctx, step, event) {
    const reply = answer(event);
    switch (step) {
      case 'currency':
        return chooseCurrency(ctx, reply ?? '');
      case 'provider':
        return chooseProvider(ctx, reply ?? '');
      case 'amount':
        return chooseAmount(ctx, reply);
      case 'destination':
        return chooseDestination(ctx, reply ?? '');
      case 'confirm':
        return reply === 'yes'
          ? ask('pin', { ...ctx.data }, { text: ctx.t('pin.ask') })
          : done(menu(ctx, ctx.t('cancelled')));
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

function chooseCurrency(ctx: FlowContext, currency: string): Step {
  const providers = payers(ctx, currency);
  if (providers.length === 0) return done(menu(ctx, ctx.t('error.no_providers', { currency })));
  if (providers.length === 1)
    return chooseProvider({ ...ctx, data: { currency } }, (providers[0] as { id: string }).id);
  return ask(
    'provider',
    { currency },
    {
      text: ctx.t('withdraw.ask_provider', { currency }),
      buttons: [providers.map((p) => ({ label: p.id, data: value(p.id) }))],
    },
  );
}

function chooseProvider(ctx: FlowContext, provider: string): Step {
  const currency = String(ctx.data.currency);
  if (!payers(ctx, currency).some((p) => p.id === provider)) return chooseCurrency(ctx, currency);
  return ask('amount', { currency, provider }, { text: askAmountText(ctx, currency, 'withdrawal') });
}

function chooseAmount(ctx: FlowContext, text: string | undefined): Step {
  const currency = String(ctx.data.currency);
  if (amountFrom(text, currency) === undefined) {
    return ask('amount', { ...ctx.data }, { text: ctx.t('bad.amount', { currency }) });
  }
  try {
    const quote = ctx.services.payments.quote({
      provider: String(ctx.data.provider),
      direction: 'withdrawal',
      amount: text?.replace(/[,\s]/g, '') ?? '',
      currency,
    });
    const data = {
      ...ctx.data,
      amount: quote.amount,
      fee: quote.fee,
      total: quote.total,
      approval: quote.requires_approval,
    };
    return ask('destination', data, { text: ctx.t('withdraw.ask_phone'), requestContact: true });
  } catch (error) {
    return ask(
      'amount',
      { ...ctx.data },
      { text: `${friendly(ctx, error)}\n${ctx.t('ask.amount', { currency })}` },
    );
  }
}

function chooseDestination(ctx: FlowContext, phone: string): Step {
  const d = ctx.data;
  return ask(
    'confirm',
    { ...d, phone },
    {
      text: ctx.t('withdraw.summary', {
        amount: String(d.amount),
        currency: String(d.currency),
        destination: phone,
        provider: String(d.provider),
        fee: String(d.fee),
        total: String(d.total),
      }),
      buttons: confirmButtons(ctx),
    },
  );
}

async function execute(ctx: FlowContext, pin: string): Promise<Step> {
  const d = ctx.data;
  try {
    const withdrawal = await ctx.services.payments.createWithdrawal({
      id: `wd_${sha256Hex(`chat:${ctx.flowId}`).slice(0, 32)}`,
      owner: { userId: ctx.userId },
      provider: String(d.provider),
      amount: String(d.amount),
      currency: String(d.currency),
      destination: { phone: String(d.phone) },
      pin,
    });
    const status = withdrawal.status === 'requires_approval' ? 'withdraw.approval' : 'withdraw.pending';
    const receipt = ctx.t('receipt', {
      id: withdrawal.id,
      amount: withdrawal.amount,
      currency: withdrawal.currency,
      fee: withdrawal.fee,
      status: withdrawal.status,
      time: withdrawal.created_at.replace('T', ' ').slice(0, 16),
    });
    return done(menu(ctx, `${ctx.t(status)}\n\n${receipt}`));
  } catch (error) {
    if (isChatPayError(error, 'pin_incorrect')) return ask('pin', { ...d }, { text: ctx.t('pin.wrong') });
    if (isChatPayError(error, 'phone_invalid') || isChatPayError(error, 'destination_invalid')) {
      return ask('destination', { ...d }, { text: ctx.t('withdraw.ask_phone'), requestContact: true });
    }
    return done(menu(ctx, friendly(ctx, error)));
  }
}
