/**
 * A local Telegram Bot API server for tests and the built-in chat simulator. It speaks the Bot API
 * as grammY calls it (`POST /bot<token>/<method>`, Telegram's envelopes and error texts), keeps
 * chats with simulated people in memory, delivers their updates by long polling or webhook, and
 * can be told to fail or rate-limit. People are driven from tests (`sandbox.user()`) or from the web
 * chat page at `/sandbox/chat`. Everything is kept in memory.
 *
 * ```ts
 * const sandbox = await startTelegramSandbox();
 * const bot = new Bot(sandbox.token, { botInfo: sandbox.botInfo, client: { apiRoot: sandbox.url } });
 * const abebe = sandbox.user({ firstName: 'Abebe' });
 * abebe.send('/start');
 * ```
 */

import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BotCommand, Update, UserFromGetMe } from 'grammy/types';
import { BodyTooLargeError } from '../../shared/http-body.ts';
import type { Logger } from '../../shared/logger.ts';
import { type MethodHandler, messageMethods, SandboxState } from './sandbox-api.ts';
import { ChatState } from './sandbox-chats.ts';
import { FailureQueue, RateLimiter, type RateLimits, type SandboxFailure } from './sandbox-faults.ts';
import {
  BotApiError,
  badRequest,
  type Params,
  parseParams,
  readRequest,
  type Sent,
  sameSecret,
  sendError,
  sendResult,
} from './sandbox-http.ts';
import { paymentMethods } from './sandbox-payments.ts';
import { UpdateQueue } from './sandbox-updates.ts';
import { SandboxUser, type SandboxUserProfile } from './sandbox-user.ts';
import { handleUserApi } from './sandbox-user-api.ts';
import { commandsKey } from './sandbox-validate.ts';

export type { SandboxMessage } from './sandbox-chats.ts';
export type { RateLimits, SandboxFailure } from './sandbox-faults.ts';
export type { PaymentOutcome } from './sandbox-payments.ts';
export type { SandboxUser, SandboxUserProfile } from './sandbox-user.ts';

const callsMax = 10_000;

export type TelegramSandboxOptions = {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
  /** The token the sandbox accepts, `<bot id>:<secret>`; random by default. */
  readonly botToken?: string;
  /** The bot's @username; "chatpay_sandbox_bot" by default. */
  readonly botUsername?: string;
  readonly botFirstName?: string;
  readonly logger?: Logger;
  /** First delay before re-sending an update the webhook refused (doubles, up to 2 s); 100 ms by default. */
  readonly webhookRetryDelayMs?: number;
  /** How long a webhook may take to answer; 10 s by default. */
  readonly webhookTimeoutMs?: number;
};

/** One Bot API call the bot made, in arrival order. */
export type SandboxCall = {
  /** The method name as the bot spelled it (`sendMessage`). */
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly time: Date;
  /** `webhook_reply`: the bot named it in its answer to a webhook request, not in a request of its own. */
  readonly via: 'request' | 'webhook_reply';
  /** Set when the call was answered with an error. */
  errorCode?: number;
};

/** The running sandbox, as tests and the simulator use it. */
export interface TelegramSandbox {
  /** Base URL, for grammY's `client.apiRoot`. */
  readonly url: string;
  /** The bot token the sandbox accepts; any other gets 401 Unauthorized. */
  readonly token: string;
  /** What getMe answers; pass it as grammY's `botInfo` to skip the call. */
  readonly botInfo: UserFromGetMe;
  /** Every Bot API call the bot made, oldest first (the latest 10,000). */
  readonly calls: readonly SandboxCall[];
  /** A simulated person with a private chat with the bot; the same id returns the same person. */
  user(profile?: SandboxUserProfile): SandboxUser;
  /** The person with this Telegram id, if the sandbox knows them. */
  findUser(id: number): SandboxUser | undefined;
  /** Queues a raw update as is; the same update twice is delivered twice. */
  inject(update: Update): void;
  /** Makes the next call of `method` fail with the given Telegram error. Calls queue up. */
  failNext(method: string, failure: SandboxFailure): void;
  /** Turns on flood control for sending methods (429 with retry_after); `{}` turns it off. */
  rateLimit(limits: RateLimits): void;
  /** The command list setMyCommands stored for the default scope and this language ("" = all). */
  commands(languageCode?: string): BotCommand[];
  close(): Promise<void>;
}

export async function startTelegramSandbox(options: TelegramSandboxOptions = {}): Promise<TelegramSandbox> {
  const sandbox = new TelegramSandboxServer(options);
  await sandbox.listen(options.port ?? 0);
  return sandbox;
}

/** A malformed escape in the path is a wrong token, not a server error. */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const methods: Record<string, MethodHandler> = { ...messageMethods, ...paymentMethods };

function botIdentity(options: TelegramSandboxOptions): { token: string; botInfo: UserFromGetMe } {
  const token =
    options.botToken ??
    `${randomInt(1_000_000_000, 9_000_000_000)}:AA${randomBytes(24).toString('base64url').slice(0, 33)}`;
  const id = Number(token.split(':')[0]);
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error('botToken must look like "<bot id>:<secret>"');
  const botInfo: UserFromGetMe = {
    id,
    is_bot: true,
    first_name: options.botFirstName ?? 'ChatPay Sandbox',
    username: options.botUsername ?? 'chatpay_sandbox_bot',
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
    has_topics_enabled: false,
    allows_users_to_create_topics: false,
    can_manage_bots: false,
    supports_join_request_queries: false,
  };
  return { token, botInfo };
}

class TelegramSandboxServer implements TelegramSandbox {
  url = '';
  readonly token: string;
  readonly botInfo: UserFromGetMe;
  readonly #calls: SandboxCall[] = [];
  readonly #state: SandboxState;
  readonly #users = new Map<number, SandboxUser>();
  readonly #failures = new FailureQueue();
  readonly #limiter = new RateLimiter();
  readonly #logger: Logger | undefined;
  readonly #server = createServer((req, res) => void this.#handle(req, res));

  constructor(options: TelegramSandboxOptions) {
    ({ token: this.token, botInfo: this.botInfo } = botIdentity(options));
    this.#logger = options.logger;
    const updates = new UpdateQueue({
      retryDelayMs: options.webhookRetryDelayMs ?? 100,
      webhookTimeoutMs: options.webhookTimeoutMs ?? 10_000,
      onWebhookReply: (method, params) => void this.#webhookReply(method, params),
      onDeliveryError: (url, message) =>
        this.#logger?.debug({ url, message }, 'telegram sandbox webhook failed'),
    });
    this.#state = new SandboxState(this.botInfo, updates);
  }

  get calls(): readonly SandboxCall[] {
    return this.#calls;
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(port, '127.0.0.1', resolve));
    const { port: bound } = this.#server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${bound}`;
  }

  user(profile: SandboxUserProfile = {}): SandboxUser {
    const id = profile.id ?? this.#freshUserId();
    const existing = this.#users.get(id);
    if (existing) return existing;
    const chat = new ChatState({
      id,
      firstName: profile.firstName ?? 'Test',
      ...(profile.lastName ? { lastName: profile.lastName } : {}),
      ...(profile.username ? { username: profile.username } : {}),
      languageCode: profile.languageCode ?? 'en',
    });
    this.#state.chats.set(id, chat);
    const user = new SandboxUser(this.#state, chat);
    this.#users.set(id, user);
    return user;
  }

  findUser(id: number): SandboxUser | undefined {
    return this.#users.get(id);
  }

  inject(update: Update): void {
    this.#state.updates.push(structuredClone(update));
  }

  failNext(method: string, failure: SandboxFailure): void {
    this.#failures.add(method, failure);
  }

  rateLimit(limits: RateLimits): void {
    this.#limiter.set(limits);
  }

  commands(languageCode = ''): BotCommand[] {
    return structuredClone(this.#state.commands.get(commandsKey({ language_code: languageCode })) ?? []);
  }

  async close(): Promise<void> {
    for (const chat of this.#state.chats.values()) chat.release();
    for (const pending of this.#state.preCheckoutQueries.values())
      pending.resolve({ ok: false, errorMessage: 'The sandbox closed' });
    this.#state.preCheckoutQueries.clear();
    await this.#state.updates.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #freshUserId(): number {
    let id = randomInt(100_000_000, 2_000_000_000);
    while (this.#users.has(id)) id += 1;
    return id;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<Sent | undefined> {
    try {
      const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
      if (url.pathname.startsWith('/sandbox/')) {
        return await handleUserApi(
          { user: (p) => this.user(p), findUser: (id) => this.findUser(id) },
          req,
          res,
          url,
        );
      }
      const match = /^\/bot([^/]*)\/([A-Za-z0-9_]+)\/?$/.exec(url.pathname);
      if (!match) return sendError(res, new BotApiError(404, 'Not Found'));
      if (!sameSecret(safeDecode(match[1] ?? ''), this.token))
        return sendError(res, new BotApiError(401, 'Unauthorized'));
      const params = parseParams(req.headers['content-type'], await readRequest(req), url.searchParams);
      if (!params) return sendError(res, badRequest("can't parse request JSON object"));
      const abort = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) abort.abort();
      });
      return await this.#call(match[2] ?? '', params, res, abort.signal);
    } catch (error) {
      if (error instanceof BodyTooLargeError)
        return sendError(res, new BotApiError(413, 'Request Entity Too Large'));
      this.#logger?.error({ err: error }, 'telegram sandbox failed');
      return res.headersSent ? undefined : sendError(res, new BotApiError(500, 'Internal Server Error'));
    }
  }

  async #call(
    method: string,
    params: Params,
    res: ServerResponse,
    signal: AbortSignal,
  ): Promise<Sent | undefined> {
    const handler = methods[method.toLowerCase()];
    if (!handler) return sendError(res, new BotApiError(404, 'Not Found'));
    const call = this.#record(method, params);
    try {
      const refused = this.#failures.take(method) ?? this.#limiter.check(method, params.chat_id);
      if (refused) throw refused;
      const { result, description } = await handler(this.#state, params, signal);
      if (res.destroyed) return undefined;
      return sendResult(res, result, description);
    } catch (error) {
      if (!(error instanceof BotApiError)) throw error;
      call.errorCode = error.errorCode;
      this.#logger?.debug(
        { method, errorCode: error.errorCode, description: error.description },
        'telegram sandbox refused',
      );
      return res.destroyed ? undefined : sendError(res, error);
    }
  }

  #record(method: string, params: Params, via: SandboxCall['via'] = 'request'): SandboxCall {
    const call: SandboxCall = { method, params: structuredClone(params), time: new Date(), via };
    this.#calls.push(call);
    if (this.#calls.length > callsMax) this.#calls.shift();
    return call;
  }

  /** A method the webhook answered with: run like a call, its result goes nowhere (as on Telegram). */
  async #webhookReply(method: string, params: Params): Promise<void> {
    const handler = methods[method.toLowerCase()];
    if (!handler) return;
    const call = this.#record(method, params, 'webhook_reply');
    try {
      await handler(this.#state, params, new AbortController().signal);
    } catch (error) {
      if (error instanceof BotApiError) call.errorCode = error.errorCode;
      this.#logger?.debug({ method, err: error }, 'telegram sandbox webhook reply failed');
    }
  }
}
