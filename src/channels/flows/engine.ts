/**
 * The flow engine: one persisted conversation per chat, channel-agnostic. Each update is handled in
 * a transaction that first records its id (a redelivered update finds it and does nothing) and then
 * locks the chat's session row (two bot processes handling one chat take turns), runs the flow's
 * step, and saves where the conversation is. Restarts lose nothing: the state is in PostgreSQL.
 * Money-moving steps take their ids from the flow instance, so even a step answered twice moves
 * money once.
 */
import type { Pool, PoolClient } from '../../db/pool.ts';
import { newId } from '../../shared/ids.ts';
import type { Logger } from '../../shared/logger.ts';
import { menu } from './common.ts';
import { balanceFlow, helpFlow, languageFlow, startFlow } from './flows/basics.ts';
import { depositFlow } from './flows/deposit.ts';
import { historyFlow } from './flows/history.ts';
import { pinFlow } from './flows/pin.ts';
import { sendFlow } from './flows/send.ts';
import { withdrawFlow } from './flows/withdraw.ts';
import { isLanguage, type Language, type MessageKey, t } from './i18n.ts';
import type { ChatEvent, Flow, FlowContext, FlowServices, Notice, OutMessage, Step } from './types.ts';

/** Every flow, by the command (and menu button) that starts it. */
export const flows: Readonly<Record<string, Flow>> = {
  start: startFlow,
  help: helpFlow,
  balance: balanceFlow,
  language: languageFlow,
  pin: pinFlow,
  send: sendFlow,
  deposit: depositFlow,
  withdraw: withdrawFlow,
  history: historyFlow,
};

/** The commands a channel registers (`setMyCommands`), in menu order. */
export const commandNames = [
  'start',
  'balance',
  'deposit',
  'withdraw',
  'send',
  'history',
  'pin',
  'language',
  'help',
  'cancel',
] as const;

export type Channel = 'telegram' | 'whatsapp';

export interface IncomingUpdate {
  readonly channel: Channel;
  /** Unique per channel (Telegram update_id, WhatsApp wamid). */
  readonly updateId: string;
  readonly chatId: string;
  readonly from: {
    readonly externalId: string;
    readonly username?: string | undefined;
    readonly firstName?: string | undefined;
    readonly languageCode?: string | undefined;
  };
  readonly event: ChatEvent;
}

export interface EngineResult {
  /** The update was handled before: nothing was done and nothing should be sent. */
  readonly duplicate: boolean;
  readonly userId: string | null;
  readonly language: Language;
  readonly replies: readonly OutMessage[];
  /** Delete the person's message (it held a PIN). */
  readonly deleteIncoming: boolean;
  readonly notices: readonly Notice[];
}

export interface FlowEngineOptions {
  /** Connections for the per-chat session locks: at most this many chats are handled at once. */
  readonly sessionPool: Pool;
  readonly services: FlowServices;
  readonly logger: Logger;
  /** A conversation idle this long is over: the next answer starts from the menu. */
  readonly sessionTimeoutSeconds: number;
}

interface SessionRow {
  user_id: string | null;
  flow: string | null;
  step: string | null;
  data: Record<string, unknown>;
  expired: boolean;
  /** The user's language, when the chat already knows its user. */
  language: string | null;
}

export class FlowEngine {
  readonly #o: FlowEngineOptions;

  constructor(options: FlowEngineOptions) {
    this.#o = options;
  }

  async handle(update: IncomingUpdate): Promise<EngineResult> {
    const client = await this.#o.sessionPool.connect();
    try {
      await client.query('BEGIN');
      // One statement records the update (a redelivery finds it and gets no row back) and takes the
      // chat's session row lock (the no-op update locks an existing row), returning the session.
      const { rows } = await client.query<SessionRow>(
        `WITH fresh AS (
           INSERT INTO chat_updates (channel, update_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1)
         INSERT INTO chat_sessions AS s (channel, chat_id) SELECT $1, $3 FROM fresh
         ON CONFLICT (channel, chat_id) DO UPDATE SET channel = EXCLUDED.channel
         RETURNING s.user_id, s.flow, s.step, s.data, coalesce(s.expires_at < now(), false) AS expired,
           (SELECT u.language FROM users u WHERE u.id = s.user_id) AS language`,
        [update.channel, update.updateId, update.chatId],
      );
      const session = rows[0];
      if (!session) {
        await client.query('COMMIT');
        return {
          duplicate: true,
          userId: null,
          language: 'en',
          replies: [],
          deleteIncoming: false,
          notices: [],
        };
      }
      const result = await this.#run(client, update, session);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async #run(client: PoolClient, update: IncomingUpdate, session: SessionRow): Promise<EngineResult> {
    // A chat that knows its user needs no lookup; the first message of a chat registers or finds them.
    const known =
      session.user_id && session.language ? { id: session.user_id, language: session.language } : undefined;
    const registered = known
      ? undefined
      : await this.#o.services.users.fromChat(update.channel, update.from.externalId, {
          username: update.from.username,
          language: update.from.languageCode?.slice(0, 2),
        });
    const user = known ?? { id: (registered as NonNullable<typeof registered>).user.id };
    const language = known?.language ?? (registered as NonNullable<typeof registered>).language;
    const created = registered?.created ?? false;
    // Money that waited for this person (sent to their @username before they joined) is theirs now.
    const claimed =
      created && update.from.username
        ? await this.#o.services.held.claim(user.id, [`@${update.from.username}`])
        : [];
    const lang: Language = isLanguage(language) ? language : 'en';
    const base = {
      userId: user.id,
      name: update.from.firstName ?? update.from.username ?? '',
      language: lang,
      services: this.#o.services,
      t: (key: MessageKey, values?: Readonly<Record<string, string>>) => t(lang, key, values),
    };
    let flowName = session.flow;
    let flowId = String(session.data.flowId ?? newId('flw'));
    let step: Step;
    const event = update.event;
    const starting = startingFlow(event);
    try {
      if (event.type === 'command' && event.name === 'cancel') {
        const ctx = { ...base, data: {}, flowId };
        step = { replies: [menu(ctx, ctx.t(session.flow ? 'cancelled' : 'nothing_to_cancel'))] };
        flowName = null;
      } else if (starting) {
        flowName = starting;
        flowId = newId('flw');
        const ctx = { ...base, data: { created }, flowId };
        step = await (flows[starting] as Flow).start(ctx, event);
      } else if (session.flow && session.step && !session.expired && flows[session.flow]) {
        const ctx: FlowContext = { ...base, data: session.data, flowId };
        step = await (flows[session.flow] as Flow).step(ctx, session.step, event);
      } else {
        const ctx = { ...base, data: {}, flowId };
        step = {
          replies: [menu(ctx, ctx.t(session.flow && session.expired ? 'timed_out' : 'not_understood'))],
        };
        flowName = null;
      }
    } catch (error) {
      this.#o.logger.error({ err: error, flow: flowName, step: session.step }, 'flow step failed');
      const ctx = { ...base, data: {}, flowId };
      step = { replies: [menu(ctx, ctx.t('error.generic'))] };
      flowName = null;
    }
    const next = step.next && flowName ? step.next : null;
    const data = next ? { ...(starting ? {} : session.data), ...step.data, flowId } : {};
    await client.query(
      `UPDATE chat_sessions SET user_id = $3, flow = $4, step = $5, data = $6, updated_at = now(),
         expires_at = CASE WHEN $5::text IS NULL THEN NULL ELSE now() + make_interval(secs => $7) END
       WHERE channel = $1 AND chat_id = $2`,
      [
        update.channel,
        update.chatId,
        user.id,
        next ? flowName : null,
        next,
        JSON.stringify(data),
        this.#o.sessionTimeoutSeconds,
      ],
    );
    if (step.language && step.language !== lang)
      await this.#o.services.users.setLanguage(user.id, step.language);
    const from = update.from.username ? `@${update.from.username}` : '';
    const arrived = claimed.map((c) => ({
      text: t(lang, 'held.received', { from: c.fromLabel, amount: c.amount, currency: c.currency }),
    }));
    const toSenders = claimed.map((c) => ({
      userId: c.fromUserId,
      key: 'held.claimed' as const,
      values: { to: from, amount: c.amount, currency: c.currency },
    }));
    return {
      duplicate: false,
      userId: user.id,
      language: step.language ?? lang,
      replies: [...step.replies, ...arrived],
      deleteIncoming: step.deleteIncoming ?? false,
      notices: [...(step.notices ?? []), ...toSenders],
    };
  }
}

/** The flow an event starts: a command (`/send`) or a menu button (`go:send`). */
function startingFlow(event: ChatEvent): string | undefined {
  if (event.type === 'command' && event.name in flows) return event.name;
  if (event.type === 'button' && event.data.startsWith('go:')) {
    const name = event.data.slice(3);
    return name in flows ? name : undefined;
  }
  return undefined;
}
