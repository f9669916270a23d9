/**
 * The Bot API methods the sandbox implements, over the sandbox's in-memory state. Each handler reads
 * its parameters the way Telegram does (JSON values or strings), throws `BotApiError` with Telegram's
 * error text, and returns the result object Telegram would. Payments live in `sandbox-payments.ts`.
 */
import type { BotCommand, Message, Update, User, UserFromGetMe } from 'grammy/types';
import type { ChatState } from './sandbox-chats.ts';
import { badRequest, type Params } from './sandbox-http.ts';
import type { Charge, InvoiceRecord, PendingPreCheckout } from './sandbox-payments.ts';
import type { UpdateQueue } from './sandbox-updates.ts';
import {
  boolParam,
  checkText,
  commandsKey,
  intParam,
  jsonParam,
  type ReplyMarkupParam,
  readCommands,
  readReplyMarkup,
  stringParam,
} from './sandbox-validate.ts';

/** A handler's answer: the result, and the `description` a few methods add on success. */
export type MethodResult = { readonly result: unknown; readonly description?: string };
export type MethodHandler = (
  state: SandboxState,
  params: Params,
  signal: AbortSignal,
) => Promise<MethodResult> | MethodResult;

/** How long a chat action shows on the person's screen, per the Bot API documentation. */
const chatActionMs = 5_000;

/** A button press waiting for answerCallbackQuery. */
export type PendingCallbackQuery = { readonly chat: ChatState; answered: boolean };

export class SandboxState {
  readonly botInfo: UserFromGetMe;
  readonly updates: UpdateQueue;
  readonly chats = new Map<number, ChatState>();
  readonly callbackQueries = new Map<string, PendingCallbackQuery>();
  /** Command lists by `commandsKey` (scope and language). */
  readonly commands = new Map<string, BotCommand[]>();
  /** Invoices the bot sent, by `chatId:messageId`. */
  readonly invoices = new Map<string, InvoiceRecord>();
  readonly preCheckoutQueries = new Map<string, PendingPreCheckout>();
  /** Successful payments by telegram_payment_charge_id, for refunds. */
  readonly charges = new Map<string, Charge>();

  constructor(botInfo: UserFromGetMe, updates: UpdateQueue) {
    this.botInfo = botInfo;
    this.updates = updates;
  }

  /** The bot as it appears in `from` of its messages. */
  get bot(): User {
    const { id, is_bot, first_name, username } = this.botInfo;
    return { id, is_bot, first_name, username };
  }

  /** The chat named by `chat_id`: only chats where a simulated person talked to the bot exist. */
  chat(params: Params): ChatState {
    const raw = params.chat_id;
    if (raw === undefined || raw === null || raw === '') throw badRequest('chat_id is empty');
    const chat = this.chats.get(Number(raw));
    if (!chat) throw badRequest('chat not found');
    return chat;
  }
}

/** A message from the person: added to their chat and queued for the bot as a `message` update. */
export function sendAsUser(state: SandboxState, chat: ChatState, fields: Partial<Message>): Message {
  const message = {
    message_id: chat.nextMessageId(),
    from: chat.user,
    chat: chat.chat,
    date: unixNow(),
    ...fields,
  } as Message;
  chat.add('user', message);
  if (chat.forceReply) chat.forceReply = undefined;
  state.updates.push({ update_id: state.updates.nextId(), message } as Update);
  return message;
}

export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Text, entities and parse mode of a send or edit, checked; entities win over parse_mode as on Telegram. */
function readText(params: Params): {
  text: string;
  entities: unknown[] | undefined;
  parseMode: string | undefined;
} {
  const text = stringParam(params, 'text');
  const entities = jsonParam(params, 'entities', 'entities');
  if (entities !== undefined && !Array.isArray(entities))
    throw badRequest("can't parse entities JSON object");
  const parseMode = entities === undefined ? stringParam(params, 'parse_mode') || undefined : undefined;
  checkText(text, parseMode);
  return { text: text ?? '', entities: entities as unknown[] | undefined, parseMode };
}

/** Keyboards that are not part of the message change what the person's client shows. */
export function applyChatMarkup(
  chat: ChatState,
  markup: ReplyMarkupParam | undefined,
  messageId: number,
): void {
  if (!markup || markup.kind === 'inline') return;
  if (markup.kind === 'keyboard') chat.replyKeyboard = markup.markup;
  if (markup.kind === 'remove_keyboard') chat.replyKeyboard = undefined;
  if (markup.kind === 'force_reply') chat.forceReply = { messageId, placeholder: markup.placeholder };
}

/** The message being replied to, per `reply_parameters` or the older `reply_to_message_id`. */
export function replyTo(chat: ChatState, params: Params): Pick<Message, 'reply_to_message'> {
  const parameters = jsonParam(params, 'reply_parameters', 'reply parameters') as
    | { message_id?: unknown; allow_sending_without_reply?: unknown }
    | undefined;
  const id = parameters?.message_id ?? intParam(params, 'reply_to_message_id');
  if (id === undefined) return {};
  const entry = chat.get(Number(id));
  if (!entry || entry.deleted) {
    if (parameters?.allow_sending_without_reply === true || boolParam(params, 'allow_sending_without_reply'))
      return {};
    throw badRequest('message to be replied not found');
  }
  const { reply_to_message: _nested, ...replied } = entry.message;
  return { reply_to_message: replied as Message['reply_to_message'] };
}

const sendMessage: MethodHandler = (state, params) => {
  const chat = state.chat(params);
  const { text, entities, parseMode } = readText(params);
  const markup = readReplyMarkup(params);
  const reply = replyTo(chat, params);
  const message: Message = {
    message_id: chat.nextMessageId(),
    from: state.bot,
    chat: chat.chat,
    date: unixNow(),
    ...reply,
    text,
    ...(entities ? { entities: entities as Message['entities'] } : {}),
    ...(markup?.kind === 'inline' ? { reply_markup: markup.markup } : {}),
  } as Message;
  applyChatMarkup(chat, markup, message.message_id);
  chat.action = undefined;
  chat.add('bot', message, parseMode);
  return { result: message };
};

/** The bot's own, undeleted message an edit names; Telegram's errors otherwise. */
function editable(state: SandboxState, params: Params) {
  if (params.inline_message_id !== undefined) throw badRequest('MESSAGE_ID_INVALID');
  const chat = state.chat(params);
  const id = intParam(params, 'message_id');
  if (id === undefined) throw badRequest('message identifier is not specified');
  const entry = chat.get(id);
  if (!entry || entry.deleted) throw badRequest('message to edit not found');
  if (entry.sender !== 'bot') throw badRequest("message can't be edited");
  const markup = readReplyMarkup(params);
  if (markup && markup.kind !== 'inline') throw badRequest('inline keyboard expected');
  return { chat, entry, inline: markup?.kind === 'inline' ? markup.markup : undefined };
}

const notModified =
  'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';

const editMessageText: MethodHandler = (state, params) => {
  const { chat, entry, inline } = editable(state, params);
  if (entry.message.text === undefined) throw badRequest('there is no text in the message to edit');
  const { text, entities, parseMode } = readText(params);
  const current = entry.message;
  if (current.text === text && sameJson(current.entities, entities) && sameJson(current.reply_markup, inline))
    throw badRequest(notModified);
  // Telegram drops the inline keyboard when an edit does not repeat it.
  const { entities: _e, reply_markup: _m, ...rest } = current;
  const message = {
    ...rest,
    text,
    edit_date: unixNow(),
    ...(entities ? { entities } : {}),
    ...(inline ? { reply_markup: inline } : {}),
  } as Message;
  chat.replace(entry, message, parseMode);
  return { result: message };
};

const editMessageReplyMarkup: MethodHandler = (state, params) => {
  const { chat, entry, inline } = editable(state, params);
  if (sameJson(entry.message.reply_markup, inline)) throw badRequest(notModified);
  const { reply_markup: _m, ...rest } = entry.message;
  const message = { ...rest, edit_date: unixNow(), ...(inline ? { reply_markup: inline } : {}) } as Message;
  chat.replace(entry, message, entry.parseMode);
  return { result: message };
};

const deleteMessage: MethodHandler = (state, params) => {
  const chat = state.chat(params);
  const entry = chat.get(intParam(params, 'message_id') ?? 0);
  if (!entry || entry.deleted) throw badRequest('message to delete not found');
  chat.delete(entry);
  return { result: true };
};

const deleteMessages: MethodHandler = (state, params) => {
  const chat = state.chat(params);
  const ids = jsonParam(params, 'message_ids', 'message identifiers');
  if (!Array.isArray(ids) || ids.length < 1 || ids.length > 100)
    throw badRequest('message identifiers are not specified');
  for (const id of ids) {
    const entry = chat.get(Number(id));
    if (entry && !entry.deleted) chat.delete(entry);
  }
  return { result: true };
};

const answerCallbackQuery: MethodHandler = (state, params) => {
  const id = stringParam(params, 'callback_query_id') ?? '';
  const query = state.callbackQueries.get(id);
  if (!query || query.answered)
    throw badRequest('query is too old and response timeout expired or query ID is invalid');
  query.answered = true;
  query.chat.notice({
    callbackQueryId: id,
    text: stringParam(params, 'text') || undefined,
    showAlert: boolParam(params, 'show_alert'),
    url: stringParam(params, 'url') || undefined,
  });
  return { result: true };
};

const chatActions = new Set([
  'typing',
  'upload_photo',
  'record_video',
  'upload_video',
  'record_voice',
  'upload_voice',
  'upload_document',
  'choose_sticker',
  'find_location',
  'record_video_note',
  'upload_video_note',
]);

const sendChatAction: MethodHandler = (state, params) => {
  const chat = state.chat(params);
  const action = stringParam(params, 'action') ?? '';
  if (!chatActions.has(action)) throw badRequest('wrong parameter action in request');
  chat.action = { action, untilMs: Date.now() + chatActionMs };
  chat.touch();
  return { result: true };
};

const setWebhook: MethodHandler = (state, params) => {
  const url = stringParam(params, 'url') ?? '';
  const drop = boolParam(params, 'drop_pending_updates');
  if (url === '') return deleteWebhookWith(state, drop);
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
    throw badRequest('invalid webhook URL specified');
  const secretToken = stringParam(params, 'secret_token') || undefined;
  if (secretToken !== undefined && secretToken.length > 256) throw badRequest('secret token is too long');
  if (secretToken !== undefined && !/^[A-Za-z0-9_-]+$/.test(secretToken))
    throw badRequest('secret token contains unallowed characters');
  const maxConnections = intParam(params, 'max_connections') ?? 40;
  if (maxConnections < 1 || maxConnections > 100) throw badRequest('invalid max_connections specified');
  const allowed = jsonParam(params, 'allowed_updates', 'allowed updates');
  const allowedUpdates = Array.isArray(allowed) ? allowed.map(String) : undefined;
  const outcome = state.updates.setWebhook({ url, secretToken, maxConnections, allowedUpdates }, drop);
  return { result: true, description: outcome === 'set' ? 'Webhook was set' : 'Webhook is already set' };
};

function deleteWebhookWith(state: SandboxState, drop: boolean): MethodResult {
  const outcome = state.updates.deleteWebhook(drop);
  return {
    result: true,
    description: outcome === 'deleted' ? 'Webhook was deleted' : 'Webhook is already deleted',
  };
}

const getUpdates: MethodHandler = async (state, params, signal) => ({
  result: await state.updates.getUpdates(
    {
      offset: intParam(params, 'offset'),
      limit: intParam(params, 'limit'),
      timeoutSeconds: intParam(params, 'timeout'),
      allowedUpdates: jsonParam(params, 'allowed_updates', 'allowed updates'),
    },
    signal,
  ),
});

const setMyCommands: MethodHandler = (state, params) => {
  const key = commandsKey(params);
  const commands = readCommands(params);
  if (commands.length === 0) state.commands.delete(key);
  else state.commands.set(key, commands);
  return { result: true };
};

/** Bot API methods by lower-case name: Telegram matches method names case-insensitively. */
export const messageMethods: Record<string, MethodHandler> = {
  getme: (state) => ({ result: state.botInfo }),
  getupdates: getUpdates,
  setwebhook: setWebhook,
  deletewebhook: (state, params) => deleteWebhookWith(state, boolParam(params, 'drop_pending_updates')),
  getwebhookinfo: (state) => ({ result: state.updates.info() }),
  sendmessage: sendMessage,
  editmessagetext: editMessageText,
  editmessagereplymarkup: editMessageReplyMarkup,
  deletemessage: deleteMessage,
  deletemessages: deleteMessages,
  answercallbackquery: answerCallbackQuery,
  sendchataction: sendChatAction,
  setmycommands: setMyCommands,
  getmycommands: (state, params) => ({ result: state.commands.get(commandsKey(params)) ?? [] }),
  deletemycommands: (state, params) => {
    state.commands.delete(commandsKey(params));
    return { result: true };
  },
  logout: () => ({ result: true }),
  close: () => ({ result: true }),
};
