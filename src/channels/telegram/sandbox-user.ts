/**
 * A simulated person chatting with the bot: what they can do on their phone (write, tap inline
 * buttons, share their contact, pay an invoice) becomes the update Telegram would send the bot, and
 * what the bot sends them can be read or awaited.
 */
import { createHash, randomBytes } from 'node:crypto';
import type {
  CallbackQuery,
  InlineKeyboardButton,
  Message,
  MessageEntity,
  ReplyKeyboardMarkup,
  Update,
} from 'grammy/types';
import { type SandboxState, sendAsUser } from './sandbox-api.ts';
import {
  type CallbackNotice,
  type ChatEntry,
  type ChatState,
  type SandboxMessage,
  snapshot,
} from './sandbox-chats.ts';
import { type PaymentOutcome, payInvoice } from './sandbox-payments.ts';
import { textLengthMax } from './sandbox-validate.ts';

/** Bot messages kept for `waitForMessage`; older ones are still in `messages()`. */
const eventsMax = 1_000;
const callbackQueriesMax = 1_000;
const waitMsDefault = 5_000;

/** Who the simulated person is; everything is optional and filled with plausible values. */
export type SandboxUserProfile = {
  readonly id?: number;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly username?: string;
  /** IETF language tag the person's client reports, e.g. "en", "am", "sw". */
  readonly languageCode?: string;
};

export class SandboxUser {
  readonly #state: SandboxState;
  readonly #chat: ChatState;
  readonly #events: { version: number; message: SandboxMessage }[] = [];
  /** `waitForMessage` looks past whichever is later: the last message it returned, or the last action. */
  #seenVersion = 0;
  #actionVersion = 0;

  constructor(state: SandboxState, chat: ChatState) {
    this.#state = state;
    this.#chat = chat;
    chat.onBotMessage((entry) => {
      this.#events.push({ version: entry.version, message: snapshot(entry) });
      if (this.#events.length > eventsMax) this.#events.shift();
    });
  }

  /** Telegram user id; in a private chat it is also the chat id. */
  get id(): number {
    return this.#chat.id;
  }

  get chatId(): number {
    return this.#chat.id;
  }

  get firstName(): string {
    return this.#chat.profile.firstName;
  }

  get username(): string | undefined {
    return this.#chat.profile.username;
  }

  /** The language the person's client reports in `from.language_code`; settable (language switch). */
  get languageCode(): string {
    return this.#chat.profile.languageCode;
  }

  set languageCode(code: string) {
    this.#chat.profile.languageCode = code;
    this.#chat.touch();
  }

  /** Ids of the messages deleted from this chat, in deletion order. */
  get deletedMessageIds(): readonly number[] {
    return [...this.#chat.deletedMessageIds];
  }

  /** The chat as stored (used by the web simulator's endpoints). */
  get chat(): ChatState {
    return this.#chat;
  }

  /** Writes a message; a leading `/command` gets its `bot_command` entity as on Telegram. */
  send(text: string): Message {
    if (text.trim().length === 0 || text.length > textLengthMax)
      throw new Error('text must be 1-4096 characters');
    const command = /^\/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?/.exec(text)?.[0];
    const entities: MessageEntity[] | undefined = command
      ? [{ type: 'bot_command', offset: 0, length: command.length }]
      : undefined;
    return this.#act(() => sendAsUser(this.#state, this.#chat, { text, ...(entities ? { entities } : {}) }));
  }

  /** Taps the inline button carrying `callbackData` on `message` (a bot message of this chat). */
  press(message: Pick<Message, 'message_id'> | number, callbackData: string): CallbackQuery {
    const id = typeof message === 'number' ? message : message.message_id;
    const entry = this.#chat.get(id);
    if (entry?.sender !== 'bot' || entry.deleted) throw new Error(`no bot message ${id} in this chat`);
    const found = buttons(entry).some(
      (button) => 'callback_data' in button && button.callback_data === callbackData,
    );
    if (!found) throw new Error(`message ${id} has no inline button with callback_data "${callbackData}"`);
    return this.#act(() => this.#callback(entry, callbackData));
  }

  /** Taps the inline button labelled `text` on the latest bot message that has one. */
  pressButton(text: string): CallbackQuery {
    for (const entry of [...this.#chat.entries()].reverse()) {
      if (entry.sender !== 'bot' || entry.deleted) continue;
      const button = buttons(entry).find((candidate) => candidate.text === text);
      if (!button) continue;
      if (!('callback_data' in button)) throw new Error(`button "${text}" is not a callback button`);
      return this.press(entry.message, button.callback_data);
    }
    throw new Error(`no inline button "${text}" in this chat`);
  }

  /** Shares the person's own phone number, as the request_contact keyboard button does. */
  shareContact(phoneNumber: string, firstName?: string): Message {
    const { lastName } = this.#chat.profile;
    const contact = {
      phone_number: phoneNumber,
      first_name: firstName ?? this.firstName,
      ...(lastName ? { last_name: lastName } : {}),
      user_id: this.id,
    };
    return this.#act(() => sendAsUser(this.#state, this.#chat, { contact }));
  }

  /**
   * Shares someone's contact card from the address book (the attachment menu): `userId` is the
   * Telegram account with that number, when there is one (Telegram fills it in; absent otherwise).
   */
  shareContactCard(card: {
    readonly phoneNumber: string;
    readonly firstName: string;
    readonly lastName?: string;
    readonly userId?: number;
  }): Message {
    const contact = {
      phone_number: card.phoneNumber,
      first_name: card.firstName,
      ...(card.lastName ? { last_name: card.lastName } : {}),
      ...(card.userId === undefined ? {} : { user_id: card.userId }),
    };
    return this.#act(() => sendAsUser(this.#state, this.#chat, { contact }));
  }

  /** Pays an invoice the bot sent (the given message id, or the latest invoice). */
  payInvoice(messageId?: number, timeoutMs?: number): Promise<PaymentOutcome> {
    return this.#act(() => payInvoice(this.#state, this.#chat, messageId, timeoutMs));
  }

  /** The newest bot message that is not deleted, in its current state. */
  lastMessage(): SandboxMessage | undefined {
    const entry = [...this.#chat.entries()]
      .reverse()
      .find((candidate) => candidate.sender === 'bot' && !candidate.deleted);
    return entry && snapshot(entry);
  }

  /** Every message the bot sent here, in order, current state; deleted ones have `deleted: true`. */
  messages(): SandboxMessage[] {
    return this.#chat
      .entries()
      .filter((entry) => entry.sender === 'bot')
      .map(snapshot);
  }

  /** The reply keyboard the person's client shows now, if any. */
  replyKeyboard(): ReplyKeyboardMarkup | undefined {
    return this.#chat.replyKeyboard && structuredClone(this.#chat.replyKeyboard);
  }

  /** Answers to this person's button presses (answerCallbackQuery), oldest first. */
  callbackAnswers(): readonly CallbackNotice[] {
    return [...this.#chat.notices()];
  }

  /**
   * Resolves with the first message the bot sends or edits here, after both the last message this
   * method returned and the person's last action, that matches `predicate` (so a reply that came
   * before the call is not missed). Rejects after `timeoutMs` (5 s by default).
   */
  waitForMessage(
    predicate: (message: SandboxMessage) => boolean = () => true,
    timeoutMs = waitMsDefault,
  ): Promise<SandboxMessage> {
    const after = Math.max(this.#seenVersion, this.#actionVersion);
    const seen = this.#events.find((event) => event.version > after && predicate(event.message));
    if (seen) return Promise.resolve(this.#take(seen));
    return new Promise((resolve, reject) => {
      const stop = this.#chat.onBotMessage((entry) => {
        const message = snapshot(entry);
        if (entry.version <= after || !predicate(message)) return;
        stop();
        clearTimeout(timer);
        resolve(this.#take({ version: entry.version, message }));
      });
      const timer = setTimeout(() => {
        stop();
        const texts = this.messages().map((message) =>
          JSON.stringify(message.text ?? message.invoice?.title ?? ''),
        );
        reject(
          new Error(
            `no matching bot message within ${timeoutMs} ms; the chat has: ${texts.join(', ') || 'nothing'}`,
          ),
        );
      }, timeoutMs);
    });
  }

  #take(event: { version: number; message: SandboxMessage }): SandboxMessage {
    this.#seenVersion = Math.max(this.#seenVersion, event.version);
    return event.message;
  }

  #act<T>(action: () => T): T {
    const result = action();
    this.#actionVersion = this.#chat.version;
    const keyboard = this.#chat.replyKeyboard;
    if (keyboard?.one_time_keyboard) this.#chat.replyKeyboard = undefined;
    return result;
  }

  #callback(entry: ChatEntry, data: string): CallbackQuery {
    const id = BigInt(`0x${randomBytes(8).toString('hex')}`).toString();
    const query: CallbackQuery = {
      id,
      from: this.#chat.user,
      message: structuredClone(entry.message) as CallbackQuery['message'] & Message,
      chat_instance: chatInstance(this.#chat.id, this.#state.botInfo.id),
      data,
    };
    const queries = this.#state.callbackQueries;
    queries.set(id, { chat: this.#chat, answered: false });
    if (queries.size > callbackQueriesMax) queries.delete(queries.keys().next().value ?? '');
    this.#state.updates.push({ update_id: this.#state.updates.nextId(), callback_query: query } as Update);
    return query;
  }
}

function buttons(entry: ChatEntry): InlineKeyboardButton[] {
  return entry.message.reply_markup?.inline_keyboard.flat() ?? [];
}

/** Telegram's chat_instance: an opaque number, stable for a chat and bot. */
function chatInstance(chatId: number, botId: number): string {
  const digest = createHash('sha256').update(`${chatId}:${botId}`).digest();
  return digest.readBigInt64BE().toString();
}
