/** The latest movements, five at a time, with buttons to page back and forth. */
import { formatAmount } from '../../../shared/money.ts';
import { listTransactions } from '../../../wallets/index.ts';
import { done, menu, value } from '../common.ts';
import type { MessageKey } from '../i18n.ts';
import type { Button, Flow, FlowContext, Step } from '../types.ts';

const pageSize = 5;

export const historyFlow: Flow = {
  name: 'history',
  async start(ctx) {
    return page(ctx, [], false);
  },
  async step(ctx, _step, event) {
    const choice = event.type === 'button' ? event.data.slice(2) : '';
    const cursors = (ctx.data.cursors as string[] | undefined) ?? [];
    if (choice === 'older') return page(ctx, cursors, true);
    if (choice === 'newer') return page(ctx, cursors.slice(0, -2), true);
    if (choice.startsWith('r:'))
      return { ...(await receipt(ctx, choice.slice(2))), next: 'page', data: { cursors } };
    return done(menu(ctx));
  },
};

/** `cursors`: the last item id of each page already shown, oldest page last. */
async function page(ctx: FlowContext, cursors: readonly string[], replace: boolean): Promise<Step> {
  const walletIds = await ctx.services.wallets.accountIds(ctx.userId);
  const { data, has_more } = await listTransactions(ctx.services.pool, walletIds, {
    limit: pageSize,
    startingAfter: cursors.at(-1),
  });
  if (data.length === 0 && cursors.length === 0) return done(menu(ctx, ctx.t('history.empty')));
  const lines = data.map((item) =>
    ctx.t('history.line', {
      date: item.created_at.slice(0, 10),
      sign: item.direction === 'in' ? '+' : '−',
      amount: item.amount,
      currency: item.currency,
      type: ctx.t(typeKey(item.type)),
    }),
  );
  // One button per item opens its receipt.
  const items: Button[][] = data.map((item, i) => [
    { label: lines[i] as string, data: value(`r:${item.id}`) },
  ]);
  const nav: Button[] = [];
  if (cursors.length > 0) nav.push({ label: ctx.t('btn.newer'), data: value('newer') });
  if (has_more) nav.push({ label: ctx.t('btn.older'), data: value('older') });
  const last = data.at(-1)?.id;
  return {
    replies: [
      {
        text: `${ctx.t('history.title')}\n${lines.join('\n')}`,
        buttons: [
          ...items,
          ...(nav.length > 0 ? [nav] : []),
          [{ label: ctx.t('btn.cancel'), data: value('close') }],
        ],
        replace,
      },
    ],
    next: 'page',
    data: { cursors: last ? [...cursors, last] : [...cursors] },
  };
}

/** The receipt of one movement of the person's own wallets (anyone else's is not found). */
async function receipt(ctx: FlowContext, id: string): Promise<Step> {
  const walletIds = new Set(await ctx.services.wallets.accountIds(ctx.userId));
  const transfer = await ctx.services.ledger.getTransfer(id);
  if (!transfer || !(walletIds.has(transfer.debitAccountId) || walletIds.has(transfer.creditAccountId))) {
    return { replies: [{ text: ctx.t('history.empty') }] };
  }
  const paymentId = (transfer.metadata as { payment?: string } | null)?.payment;
  const payment = paymentId ? await ctx.services.payments.get(paymentId).catch(() => undefined) : undefined;
  const status = payment?.status ?? (transfer.kind === 'pending' ? 'pending' : 'succeeded');
  return {
    replies: [
      {
        text: ctx.t('receipt', {
          id: paymentId ?? transfer.id,
          amount: formatAmount(transfer.amount, transfer.currency),
          currency: transfer.currency,
          fee: payment?.fee ?? formatAmount(0n, transfer.currency),
          status,
          time: transfer.createdAt.toISOString().replace('T', ' ').slice(0, 16),
        }),
      },
    ],
  };
}

function typeKey(type: string): MessageKey {
  if (type === 'p2p' || type === 'deposit' || type === 'withdrawal') return `type.${type}`;
  return 'type.other';
}
