/** The latest movements, five at a time, with buttons to page back and forth. */
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
  const nav: Button[] = [];
  if (cursors.length > 0) nav.push({ label: ctx.t('btn.newer'), data: value('newer') });
  if (has_more) nav.push({ label: ctx.t('btn.older'), data: value('older') });
  const last = data.at(-1)?.id;
  return {
    replies: [
      {
        text: `${ctx.t('history.title')}\n${lines.join('\n')}`,
        buttons: [...(nav.length > 0 ? [nav] : []), [{ label: ctx.t('btn.cancel'), data: value('close') }]],
        replace,
      },
    ],
    next: 'page',
    data: { cursors: last ? [...cursors, last] : [...cursors] },
  };
}

function typeKey(type: string): MessageKey {
  if (type === 'p2p' || type === 'deposit' || type === 'withdrawal') return `type.${type}`;
  return 'type.other';
}
