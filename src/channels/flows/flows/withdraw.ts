/**
 * Withdraw: currency, provider, amount (limits shown), destination — a phone, or a bank from the
 * provider's list and an account number (its holder's name looked up where the provider can) —
 * summary with fee, PIN, status.
 */
import { isChatPayError } from '../../../shared/errors.ts';
import { sha256Hex } from '../../../shared/hash.ts';
import { formatAmount } from '../../../shared/money.ts';
import { amountFrom, answer, ask, chunk, confirmButtons, done, friendly, menu, value } from '../common.ts';
import type { Flow, FlowContext, Step } from '../types.ts';
import { chooseCurrency, chooseProvider, type ProviderChoice } from './provider-choice.ts';

const paying: ProviderChoice = {
  direction: 'withdrawal',
  question: 'withdraw.ask_provider',
  candidates: (ctx, currency) =>
    ctx.services.payments
      .walletProviders()
      .filter(
        (p) =>
          p.capabilities.payout &&
          (p.capabilities.payoutDestinations.includes('phone') || p.capabilities.banks) &&
          (!currency || p.capabilities.currencies.includes(currency)),
      ),
};

export const withdrawFlow: Flow = {
  name: 'withdraw',
  async start(ctx) {
    const wallets = (await ctx.wallets()).filter(
      (w) => w.available !== formatAmount(0n, w.currency) && paying.candidates(ctx, w.currency).length > 0,
    );
    if (wallets.length === 0) return done(menu(ctx, ctx.t('error.insufficient_funds')));
    if (wallets.length === 1)
      return chooseCurrency(ctx, paying, (wallets[0] as { currency: string }).currency);
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
        return chooseCurrency(ctx, paying, reply ?? '');
      case 'provider':
        return chooseProvider(ctx, paying, reply ?? '');
      case 'amount':
        return chooseAmount(ctx, reply);
      case 'destination':
        return chooseDestination(ctx, reply ?? '');
      case 'bank':
        return chooseBank(ctx, reply ?? '');
      case 'account':
        return chooseAccount(ctx, reply ?? '');
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

async function chooseAmount(ctx: FlowContext, text: string | undefined): Promise<Step> {
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
    const provider = ctx.services.payments.providers().find((p) => p.id === ctx.data.provider);
    if (provider?.capabilities.payoutDestinations.includes('phone')) {
      return ask('destination', data, { text: ctx.t('withdraw.ask_phone'), requestContact: true });
    }
    return askBank(ctx, data);
  } catch (error) {
    return ask(
      'amount',
      { ...ctx.data },
      { text: `${friendly(ctx, error)}\n${ctx.t('ask.amount', { currency })}` },
    );
  }
}

/** Banks shown as buttons; the provider's list is long, so the first ones, and typing a code works too. */
const banksShown = 12;

async function askBank(ctx: FlowContext, data: Record<string, unknown>): Promise<Step> {
  const banks = await ctx.services.payments.banks(String(data.provider), String(data.currency));
  const choices = banks.filter((b) => !b.mobileMoney).slice(0, banksShown);
  return ask(
    'bank',
    { ...data, banks: Object.fromEntries(banks.map((b) => [b.code, b.name])) },
    {
      text: ctx.t('withdraw.ask_bank'),
      buttons: chunk(
        choices.map((b) => ({ label: b.name, data: value(`b:${b.code}`) })),
        2,
      ),
    },
  );
}

function chooseBank(ctx: FlowContext, choice: string): Step {
  const code = choice.startsWith('b:') ? choice.slice(2) : choice;
  const banks = (ctx.data.banks ?? {}) as Record<string, string>;
  const name = banks[code];
  if (!name) return ask('bank', { ...ctx.data }, { text: ctx.t('withdraw.ask_bank') });
  return ask(
    'account',
    { ...ctx.data, bankCode: code, bankName: name },
    { text: ctx.t('withdraw.ask_account', { bank: name }) },
  );
}

async function chooseAccount(ctx: FlowContext, text: string): Promise<Step> {
  const account = text.replace(/\s/g, '');
  if (!/^[0-9A-Za-z]{4,34}$/.test(account)) {
    return ask('account', { ...ctx.data }, { text: ctx.t('bad.account') });
  }
  const provider = ctx.services.payments.providers().find((p) => p.id === ctx.data.provider);
  let holder: string | undefined;
  if (provider?.capabilities.resolveAccount) {
    holder = await ctx.services.payments
      .resolveAccount(
        String(ctx.data.provider),
        String(ctx.data.currency),
        String(ctx.data.bankCode),
        account,
      )
      .catch(() => undefined);
  }
  const destination = `${String(ctx.data.bankName)} ${account}${holder ? ` (${holder})` : ''}`;
  const { banks: _banks, ...rest } = ctx.data;
  return summary({ ...ctx, data: { ...rest, account, holder: holder ?? null } }, destination);
}

function chooseDestination(ctx: FlowContext, phone: string): Step {
  return summary({ ...ctx, data: { ...ctx.data, phone } }, phone);
}

function summary(ctx: FlowContext, destination: string): Step {
  const d = ctx.data;
  return ask(
    'confirm',
    { ...d },
    {
      text: ctx.t('withdraw.summary', {
        amount: String(d.amount),
        currency: String(d.currency),
        destination,
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
      destination: d.phone
        ? { phone: String(d.phone) }
        : {
            bank_code: String(d.bankCode),
            account_number: String(d.account),
            ...(d.holder ? { account_name: String(d.holder) } : {}),
          },
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
