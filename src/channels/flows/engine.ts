/**
 * The flow engine: one persisted conversation per chat, channel-agnostic. Each update is handled in
 * a transaction that first records its id (a redelivered update finds it and does nothing) and then
 * locks the chat's session row (two bot processes handling one chat take turns), runs the flow's
 * step, and saves where the conversation is. Restarts lose nothing: the state is in PostgreSQL.
 * Money-moving steps take their ids from the flow instance, so even a step answered twice moves
 * money once. The session's connection sees two round trips per update (statements are batched and
 * prepared once per connection): on a busy bot, round trips to PostgreSQL are most of its cost.
 */
import pg from 'pg';
import type { Pool, PoolClient } from '../../db/pool.ts';
import { type AccountRow, accountColumns, toAccount } from '../../ledger/rows.ts';
import { newId } from '../../shared/ids.ts';
import type { Logger } from '../../shared/logger.ts';
import { type WalletView, walletView } from '../../wallets/index.ts';
import { menu } from './common.ts';
import { balanceFlow, helpFlow, languageFlow, startFlow } from './flows/basics.ts';
import { depositFlow } from './flows/deposit.ts';
import { historyFlow } from './flows/history.ts';
import { phoneFlow } from './flows/phone.ts';
import { pinFlow } from './flows/pin.ts';
import { sendFlow } from './flows/send.ts';
import { withdrawFlow } from './flows/withdraw.ts';
import { isLanguage, type Language, type MessageKey, t } from './i18n.ts';
import type { Channel, ChatEvent, Flow, FlowContext, FlowServices, OutMessage, Step } from './types.ts';

export type { Channel } from './types.ts';

/** Every flow, by the command (and menu button) that starts it. */
export const flows: Readonly<Record<string, Flow>> = {
  start: startFlow,
  help: helpFlow,
  balance: balanceFlow,
  language: languageFlow,
  pin: pinFlow,
  phone: phoneFlow,
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
  'phone',
  'language',
  'help',
  'cancel',
] as const;

export interface IncomingUpdate {
  readonly channel: Channel;
  /** Unique per channel (Telegram update_id, WhatsApp wamid). */
  readonly updateId: string;
  readonly chatId: string;
  readonly from: {
    readonly externalId: string;
    readonly username?: string | undefined;
    readonly firstName?: string | undefined;
    readonly lastName?: string | undefined;
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
  /** The replies only ask or inform (`Step.informational`), and bring no money news. */
  readonly informational: boolean;
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
  /** The username kept for the writer's chat identity (null: none, or not registered yet). */
  username: string | null;
}

export class FlowEngine {
  readonly #o: FlowEngineOptions;

  constructor(options: FlowEngineOptions) {
    this.#o = options;
  }

  /**
   * Two round trips to the session's connection per update, each one batch of statements: one opens
   * the transaction, records the update, locks the session and reads the person's wallets; the
   * other saves where the conversation is and commits. The step in between uses the services.
   */
  async handle(update: IncomingUpdate): Promise<EngineResult> {
    const client = await this.#o.sessionPool.connect();
    let broken = false;
    try {
      const opened = await batch(client, [
        ...(prepared.has(client) ? [] : sessionStatements),
        'BEGIN',
        `EXECUTE chatpay_chat_open(${lit(update.channel)}, ${lit(update.updateId)}, ${lit(update.chatId)}, ${lit(update.from.externalId)})`,
        `EXECUTE chatpay_chat_wallets(${lit(update.channel)}, ${lit(update.chatId)})`,
      ]);
      prepared.add(client);
      const session = opened.at(-2)?.rows[0] as SessionRow | undefined;
      if (!session) {
        await client.query('COMMIT');
        return {
          duplicate: true,
          userId: null,
          language: 'en',
          replies: [],
          deleteIncoming: false,
          informational: false,
        };
      }
      const wallets = session.user_id ? (opened.at(-1)?.rows as AccountRow[]) : undefined;
      const { result, statements } = await this.#run(update, session, wallets);
      await batch(client, [...statements, 'COMMIT']);
      return result;
    } catch (error) {
      // A connection whose statements failed midway may not know what it has prepared: it goes.
      broken = true;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** Runs the step; returns its result and the statements that save it (run before the commit). */
  async #run(
    update: IncomingUpdate,
    session: SessionRow,
    walletRows: readonly AccountRow[] | undefined,
  ): Promise<{ result: EngineResult; statements: string[] }> {
    const person = await this.#person(update, session);
    const lang: Language = isLanguage(person.language) ? person.language : 'en';
    const prefetched =
      walletRows && session.user_id === person.id
        ? walletRows.map((row) => walletView(row.id, row.currency, toAccount(row)))
        : undefined;
    const base = {
      userId: person.id,
      wallets: async (): Promise<readonly WalletView[]> =>
        prefetched ?? this.#o.services.wallets.list(person.id),
      channel: update.channel,
      name: update.from.firstName ?? update.from.username ?? '',
      language: lang,
      services: this.#o.services,
      t: (key: MessageKey, values?: Readonly<Record<string, string>>) => t(lang, key, values),
    };
    const { step, flowName, flowId, starting } = await this.#step(update, session, base, person.created);
    const next = step.next && flowName ? step.next : null;
    const data = next ? { ...(starting ? {} : session.data), ...step.data, flowId } : {};
    // A chat with no conversation before or after (a /balance) has nothing to save.
    const unchanged =
      !next && !session.flow && session.user_id === person.id && Object.keys(session.data).length === 0;
    const statements = unchanged
      ? []
      : [
          `EXECUTE chatpay_chat_save(${[update.channel, update.chatId, person.id, next ? flowName : null, next, JSON.stringify(data)].map(lit).join(', ')}, ${lit(this.#o.sessionTimeoutSeconds)})`,
        ];
    // The name operators search by: set when the person registers (and on /start, if still unset).
    const displayName = [update.from.firstName, update.from.lastName].filter(Boolean).join(' ').trim();
    const isStart = update.event.type === 'command' && update.event.name === 'start';
    if (displayName && (person.created || isStart))
      statements.push(
        `UPDATE users SET display_name = ${lit(displayName.slice(0, displayNameMax))}
          WHERE id = ${lit(person.id)} AND display_name IS NULL`,
      );
    if (step.language && step.language !== lang)
      await this.#o.services.users.setLanguage(person.id, step.language);
    const arrived = person.claimed.map((c) => ({
      text: t(lang, 'held.received', { from: c.fromLabel, amount: c.amount, currency: c.currency }),
    }));
    return {
      result: {
        duplicate: false,
        userId: person.id,
        language: step.language ?? lang,
        replies: [...step.replies, ...arrived],
        deleteIncoming: step.deleteIncoming ?? false,
        // Money that waited for this person arrived: that news must be confirmed sent.
        informational: step.informational === true && arrived.length === 0 && !step.deleteIncoming,
      },
      statements,
    };
  }

  /**
   * Who writes. A chat that knows its user needs no lookup; the first message of a chat registers or
   * finds them, and money that waited for their @username is theirs now (its senders are told).
   */
  async #person(update: IncomingUpdate, session: SessionRow) {
    // A changed (or dropped) username goes through fromChat, which keeps the latest (users.ts).
    if (session.user_id && session.language && session.username === (update.from.username ?? null))
      return { id: session.user_id, language: session.language, created: false, claimed: [] };
    const registered = await this.#o.services.users.fromChat(update.channel, update.from.externalId, {
      username: update.from.username,
      language: update.from.languageCode?.slice(0, 2),
    });
    const id = registered.user.id;
    const claimed =
      registered.created && update.from.username
        ? await this.#o.services.held.claim(id, [`@${update.from.username}`])
        : [];
    return { id, language: registered.language, created: registered.created, claimed };
  }

  /** Chooses what the event means (a command, a flow's answer, a shared contact) and runs it. */
  async #step(
    update: IncomingUpdate,
    session: SessionRow,
    base: Omit<FlowContext, 'data' | 'flowId'>,
    created: boolean,
  ): Promise<{ step: Step; flowName: string | null; flowId: string; starting: boolean }> {
    let flowName = session.flow;
    let flowId = String(session.data.flowId ?? newId('flw'));
    const event = update.event;
    const starting = startingFlow(event);
    let fresh = starting !== undefined;
    const over = (ctx: FlowContext, key: MessageKey) => {
      flowName = null;
      return { replies: [menu(ctx, ctx.t(key))] };
    };
    let step: Step;
    try {
      if (event.type === 'command' && event.name === 'cancel') {
        step = over({ ...base, data: {}, flowId }, session.flow ? 'cancelled' : 'nothing_to_cancel');
      } else if (starting) {
        flowName = starting;
        flowId = newId('flw');
        step = await (flows[starting] as Flow).start({ ...base, data: { created }, flowId }, event);
      } else if (session.flow && session.step && !session.expired && flows[session.flow]) {
        const ctx: FlowContext = { ...base, data: session.data, flowId };
        step = await (flows[session.flow] as Flow).step(ctx, session.step, event);
      } else if (event.type === 'contact') {
        // A contact shared outside any question: the person giving us their number.
        flowName = 'phone';
        flowId = newId('flw');
        fresh = true;
        step = await phoneFlow.start({ ...base, data: {}, flowId }, event);
      } else {
        const expired = session.flow && session.expired;
        step = over({ ...base, data: {}, flowId }, expired ? 'timed_out' : 'not_understood');
      }
    } catch (error) {
      this.#o.logger.error({ err: error, flow: flowName, step: session.step }, 'flow step failed');
      step = over({ ...base, data: {}, flowId }, 'error.generic');
    }
    return { step, flowName, flowId, starting: fresh };
  }
}

/** Longest display name kept (the column's check). */
const displayNameMax = 200;

/**
 * The statements every update runs, prepared once per session connection (parsed and planned once,
 * not per update). The open: the insert records the update (a redelivery finds it and gets no row
 * back); the upsert takes the chat's session row lock and returns the session.
 */
const sessionStatements = [
  `PREPARE chatpay_chat_open (text, text, text, text) AS
     WITH fresh AS (
       INSERT INTO chat_updates (channel, update_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1)
     INSERT INTO chat_sessions AS s (channel, chat_id) SELECT $1, $3 FROM fresh
     ON CONFLICT (channel, chat_id) DO UPDATE SET updated_at = now()
     RETURNING s.user_id, s.flow, s.step, s.data, coalesce(s.expires_at < now(), false) AS expired,
       (SELECT u.language FROM users u WHERE u.id = s.user_id) AS language,
       (SELECT i.username FROM user_identities i WHERE i.provider = $1 AND i.external_id = $4) AS username`,
  // The person's wallets, as Wallets.list reads them: most conversations show or check a balance.
  `PREPARE chatpay_chat_wallets (text, text) AS
     SELECT ${accountColumns} FROM ledger_accounts
      WHERE owner_id = (SELECT user_id FROM chat_sessions WHERE channel = $1 AND chat_id = $2) AND kind = 'wallet'
      ORDER BY currency`,
  `PREPARE chatpay_chat_save (text, text, text, text, text, jsonb, integer) AS
     UPDATE chat_sessions SET user_id = $3, flow = $4, step = $5, data = $6, updated_at = now(),
       expires_at = CASE WHEN $5 IS NULL THEN NULL ELSE now() + make_interval(secs => $7) END
     WHERE channel = $1 AND chat_id = $2`,
];
/** Session connections that have `sessionStatements` prepared. */
const prepared = new WeakSet<PoolClient>();

/**
 * Runs `statements` in one round trip: the simple query protocol takes several statements in one
 * message. It takes no parameters, so values are written in with `lit`.
 */
async function batch(client: PoolClient, statements: readonly string[]): Promise<pg.QueryResult[]> {
  const results = (await client.query(statements.join(';\n'))) as pg.QueryResult | pg.QueryResult[];
  return Array.isArray(results) ? results : [results];
}

/** A value as an SQL literal: strings escaped (pg's escapeLiteral), numbers checked, null as NULL. */
function lit(value: string | number | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
    return String(value);
  }
  return pg.escapeLiteral(value);
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
