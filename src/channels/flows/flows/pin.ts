/** Set or change the transaction PIN. Messages holding a PIN are deleted once read; no PIN is stored. */
import { isChatPayError } from '../../../shared/errors.ts';
import { checkPin, replaceVerifiedPin, setPin } from '../../../users/index.ts';
import { done, friendly, menu } from '../common.ts';
import type { Flow } from '../types.ts';

const pinPattern = /^[0-9]{4,6}$/;
// How long after proving the current PIN the new one may be given.
const verifiedForMs = 5 * 60_000;

export const pinFlow: Flow = {
  name: 'pin',
  async start(ctx) {
    const user = await ctx.services.users.get(ctx.userId);
    if (user?.pinSet) return { replies: [{ text: ctx.t('pin.ask_current') }], next: 'current', data: {} };
    return { replies: [{ text: ctx.t('pin.ask_new') }], next: 'new', data: {} };
  },
  async step(ctx, step, event) {
    const text = event.type === 'text' ? event.text.trim() : '';
    if (step === 'current') {
      try {
        await checkPin(ctx.services.pool, ctx.userId, text);
      } catch (error) {
        const locked = isChatPayError(error, 'pin_locked');
        const reply = { text: friendly(ctx, error) };
        return locked
          ? { replies: [menu(ctx, reply.text)], deleteIncoming: true }
          : { replies: [reply], next: 'current', deleteIncoming: true };
      }
      return {
        replies: [{ text: ctx.t('pin.ask_new') }],
        next: 'new',
        data: { verifiedUntil: Date.now() + verifiedForMs },
        deleteIncoming: true,
      };
    }
    if (!pinPattern.test(text))
      return { replies: [{ text: ctx.t('pin.invalid') }], next: 'new', deleteIncoming: true };
    const verifiedUntil = Number(ctx.data.verifiedUntil ?? 0);
    if (verifiedUntil > 0) {
      if (verifiedUntil < Date.now()) return { ...(await pinFlow.start(ctx, event)), deleteIncoming: true };
      await replaceVerifiedPin(ctx.services.pool, ctx.userId, text);
    } else {
      await setPin(ctx.services.pool, ctx.userId, text);
    }
    return { ...done(menu(ctx, ctx.t('pin.set'))), deleteIncoming: true };
  },
};
