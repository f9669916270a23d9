/** Pieces the flows share: the main menu, amount parsing, and turning errors into friendly words. */
import { isChatPayError } from '../../shared/errors.ts';
import { parseAmount } from '../../shared/money.ts';
import { normalizePhone } from '../../users/index.ts';
import type { MessageKey } from './i18n.ts';
import type { ChatEvent, FlowContext, OutMessage, Step } from './types.ts';

/** Button data: `go:<flow>` starts a flow from the menu; `v:<value>` answers the current step. */
export const go = (flow: string) => `go:${flow}`;
export const value = (v: string) => `v:${v}`;

export function answer(event: ChatEvent): string | undefined {
  if (event.type === 'button') return event.data.startsWith('v:') ? event.data.slice(2) : undefined;
  if (event.type === 'text') return event.text.trim();
  // Telegram gives a contact's number without its '+' at times.
  if (event.type === 'contact') return contactPhone(event.phone) ?? event.phone;
  return undefined;
}

export function menu(ctx: FlowContext, text = ctx.t('menu')): OutMessage {
  const b = (key: MessageKey, flow: string) => ({ label: ctx.t(key), data: go(flow) });
  return {
    text,
    buttons: [
      [b('btn.balance', 'balance'), b('btn.history', 'history')],
      [b('btn.deposit', 'deposit'), b('btn.withdraw', 'withdraw'), b('btn.send', 'send')],
      [b('btn.pin', 'pin'), b('btn.language', 'language'), b('btn.help', 'help')],
    ],
  };
}

export const done = (...replies: OutMessage[]): Step => ({ replies });
/** A question: the flow waits for the answer. Nothing has moved yet, so it is informational. */
export const ask = (next: string, data: Record<string, unknown>, ...replies: OutMessage[]): Step => ({
  replies,
  next,
  data,
  informational: true,
});

export const confirmButtons = (ctx: FlowContext) => [
  [
    { label: ctx.t('btn.confirm'), data: value('yes') },
    { label: ctx.t('btn.cancel'), data: value('no') },
  ],
];

/** E.164 from a shared contact's number (international, at times without its `+`), or undefined. */
export function contactPhone(raw: string): string | undefined {
  const trimmed = raw.trim();
  return e164(trimmed.startsWith('+') ? trimmed : `+${trimmed}`);
}

/** E.164, or undefined where `normalizePhone` refuses it (typed numbers need their country code). */
export function e164(text: string): string | undefined {
  try {
    return normalizePhone(text);
  } catch {
    return undefined;
  }
}

/** Minor units from what the person typed ("250", "250.50", "1,000"), or undefined. */
export function amountFrom(text: string | undefined, currency: string): bigint | undefined {
  if (text === undefined) return undefined;
  try {
    return parseAmount(text.replace(/[,\s]/g, ''), currency);
  } catch {
    return undefined;
  }
}

/**
 * The friendly words for an error a step can meet; anything unexpected is rethrown (the engine then
 * answers with the generic apology and logs it).
 */
export function friendly(ctx: FlowContext, error: unknown): string {
  if (!isChatPayError(error)) throw error;
  switch (error.code) {
    case 'insufficient_funds':
      return ctx.t('error.insufficient_funds');
    case 'limit_exceeded':
    case 'amount_below_minimum':
      return ctx.t('error.limit', { detail: error.message });
    case 'amount_not_supported':
      return ctx.t('error.amount_not_supported');
    case 'provider_unavailable':
      return ctx.t('error.provider_unavailable');
    case 'pin_incorrect':
      return ctx.t('pin.wrong');
    case 'pin_locked':
      return ctx.t('pin.locked');
    case 'pin_not_set':
      return ctx.t('pin.not_set');
    case 'recipient_not_found':
      return ctx.t('send.unknown_recipient', { to: '?' });
    case 'user_frozen':
      return ctx.t('error.frozen');
    default:
      throw error;
  }
}

/** "How much?" with the limits the person will meet, so nobody types an amount that can't pass. */
export function askAmountText(
  ctx: FlowContext,
  currency: string,
  direction: 'deposit' | 'withdrawal',
): string {
  const limits = ctx.services.payments.limitsFor(currency, direction);
  const parts = [
    limits.min ? ctx.t('limits.min', { amount: limits.min, currency }) : undefined,
    limits.max ? ctx.t('limits.max', { amount: limits.max, currency }) : undefined,
    limits.perDay ? ctx.t('limits.day', { amount: limits.perDay, currency }) : undefined,
  ].filter((p): p is string => p !== undefined);
  const question = ctx.t('ask.amount', { currency });
  return parts.length === 0 ? question : `${question}\n${ctx.t('limits.line', { detail: parts.join(', ') })}`;
}

/** Buttons in rows of `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const rows: T[][] = [];
  for (let i = 0; i < items.length; i += size) rows.push(items.slice(i, i + size));
  return rows;
}
