import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { WebhookReplySlot } from '../../channels/telegram/webhook-reply.ts';
import { enqueue } from '../../db/jobs.ts';
import { ChatPayError } from '../../shared/errors.ts';
import { sameSecret } from '../../shared/hash.ts';
import type { ApiServices } from '../context.ts';
import { errors } from '../schemas.ts';

/** How long an update may take in-process before the answer goes out and the queue takes over. */
const inlineDeadlineMs = 2_000;

/** True when `work` succeeded within `ms`. */
async function settledWithin(
  work: Promise<void>,
  ms: number,
  log: { warn(obj: unknown, msg: string): void },
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const done = work.then(
    () => true,
    (error: unknown) => {
      log.warn({ err: error }, 'telegram update failed in-process; queued');
      return false;
    },
  );
  try {
    return await Promise.race([done, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Telegram's webhook. The secret token set with `setWebhook` comes back in
 * `X-Telegram-Bot-Api-Secret-Token` and is compared in constant time (as digests, so lengths never
 * leak). Telegram re-sends what it does not see answered quickly, and the flow engine drops a
 * redelivered update.
 */
export const telegramRoutes = (services: ApiServices): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    app.post(
      '/v1/channels/telegram/webhook',
      {
        config: { access: 'public', idempotent: false, inbox: true },
        schema: {
          tags: ['channels'],
          summary: 'Telegram Bot API webhook',
          headers: Type.Object({
            'x-telegram-bot-api-secret-token': Type.Optional(Type.String({ maxLength: 256 })),
          }),
          body: Type.Object({ update_id: Type.Integer({ minimum: 0 }) }, { additionalProperties: true }),
          response: {
            200: Type.Union(
              [
                Type.Object({ ok: Type.Boolean() }),
                Type.Object(
                  { method: Type.String() },
                  {
                    additionalProperties: true,
                    description: 'A Bot API call for Telegram to make (a webhook reply).',
                  },
                ),
              ],
              { description: 'Received; or received, with one Bot API call for Telegram to make.' },
            ),
            ...errors(400, 401, 404),
          },
        },
      },
      async (request) => {
        const secret = services.telegramWebhookSecret?.reveal();
        if (!secret) throw new ChatPayError('route_not_found');
        const given = request.headers['x-telegram-bot-api-secret-token'] ?? '';
        if (!sameSecret(given, secret)) {
          request.log.warn({ security: true }, 'telegram webhook with a wrong secret token');
          throw new ChatPayError('webhook_signature_invalid');
        }
        const update = request.body as { update_id: number };
        const inline = services.telegramInline?.handler;
        const reply = new WebhookReplySlot();
        // With the bot in this process, the update is handled before answering, within a deadline:
        // if this process dies first, Telegram sends it again. Slow or failed, it goes to the job
        // queue (the flow engine drops it there if it was handled after all). Without a bot here, a
        // worker takes it from the queue.
        const handled = inline && (await settledWithin(inline(update, reply), inlineDeadlineMs, request.log));
        // A call the bot offered goes back in this answer; once answered, the bot makes its own calls.
        const call = reply.close();
        if (!handled) {
          await enqueue(
            services.pool,
            'telegram_update',
            { update },
            { jobKey: `tg:${update.update_id}`, maxAttempts: 5 },
          );
        }
        return call ?? { ok: true };
      },
    );
  };
