/**
 * The currency → provider → amount steps deposits and withdrawals share: a provider is asked for
 * only when more than one can do it, and the amount question shows the limits first.
 */
import type { ProviderView } from '../../../payments/index.ts';
import { ask, askAmountText, done, menu, value } from '../common.ts';
import type { MessageKey } from '../i18n.ts';
import type { FlowContext, Step } from '../types.ts';

export interface ProviderChoice {
  readonly direction: 'deposit' | 'withdrawal';
  /** The providers that can do it, in `currency` when given. */
  candidates(ctx: FlowContext, currency?: string): ProviderView[];
  /** "How do you want to pay / receive {currency}?" */
  readonly question: MessageKey;
}

export function chooseCurrency(ctx: FlowContext, choice: ProviderChoice, currency: string): Step {
  const providers = choice.candidates(ctx, currency);
  if (providers.length === 0) return done(menu(ctx, ctx.t('error.no_providers', { currency })));
  const only = providers.length === 1 ? providers[0] : undefined;
  if (only) return chooseProvider({ ...ctx, data: { currency } }, choice, only.id);
  return ask(
    'provider',
    { currency },
    {
      text: ctx.t(choice.question, { currency }),
      buttons: [providers.map((p) => ({ label: p.id, data: value(p.id) }))],
    },
  );
}

export function chooseProvider(ctx: FlowContext, choice: ProviderChoice, provider: string): Step {
  const currency = String(ctx.data.currency);
  const found = choice.candidates(ctx, currency).find((p) => p.id === provider);
  if (!found) return chooseCurrency(ctx, choice, currency);
  return ask(
    'amount',
    { currency, provider, collectWith: found.collect_with },
    { text: askAmountText(ctx, currency, choice.direction) },
  );
}
