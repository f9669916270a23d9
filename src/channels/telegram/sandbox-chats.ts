/**
 * What a private chat between a simulated person and the bot looks like from the person's phone:
 * both sides' messages in order with their current content, the reply keyboard in force, the chat
 * action the bot shows, and alerts from answered button presses. Every change bumps the chat's
 * `version`, which the web simulator long-polls on and `waitForMessage` orders by.
 */
import type { Chat, Message, ReplyKeyboardMarkup, User } from 'grammy/types';

/** Bounded so a chatty test or a long simulator session cannot grow memory without end. */
const entriesMax = 2_000;
const noticesMax = 100;

/** A person in the sandbox, as Telegram describes them to the bot. */
export type UserProfile = {
  readonly id: number;
  readonly firstName: string;
  readonly lastName?: string;
  readonly username?: string;
  languageCode: string;
};

/** A message in the chat, current state. */
export type ChatEntry = {
  readonly sender: 'bot' | 'user';
  message: Message;
  /** The parse_mode the bot gave (the text is stored as given), so a viewer can render it. */
  parseMode: string | undefined;
  deleted: boolean;
  /** Chat version at the entry's latest change. */
  version: number;
};

/** A message as the person's chat shows it now, with the sandbox's bookkeeping alongside. */
export type SandboxMessage = Message & {
  /** True once the message was deleted; its last content stays for inspection. */
  readonly deleted: boolean;
  /** The chat version at the message's latest change (send, edit or deletion). */
  readonly version: number;
};

/** The answer to a button press as the person sees it: a toast, or an alert with show_alert. */
export type CallbackNotice = {
  readonly version: number;
  readonly callbackQueryId: string;
  readonly text: string | undefined;
  readonly showAlert: boolean;
  readonly url: string | undefined;
};

export function snapshot(entry: ChatEntry): SandboxMessage {
  return { ...structuredClone(entry.message), deleted: entry.deleted, version: entry.version };
}

export class ChatState {
  readonly profile: UserProfile;
  version = 0;
  /** The reply keyboard the person's client shows under the text box, if any. */
  replyKeyboard: ReplyKeyboardMarkup | undefined;
  /** Set by force_reply: the client opens a reply to the bot's message. */
  forceReply: { readonly messageId: number; readonly placeholder: string | undefined } | undefined;
  /** The chat action the bot shows ("typing…"), until the time Telegram clears it. */
  action: { readonly action: string; readonly untilMs: number } | undefined;
  readonly deletedMessageIds: number[] = [];
  readonly #entries: ChatEntry[] = [];
  readonly #byId = new Map<number, ChatEntry>();
  readonly #notices: CallbackNotice[] = [];
  readonly #botListeners = new Set<(entry: ChatEntry) => void>();
  readonly #changeListeners = new Set<() => void>();
  #nextMessageId = 1;

  constructor(profile: UserProfile) {
    this.profile = profile;
  }

  get id(): number {
    return this.profile.id;
  }

  /** The chat as Telegram puts it in a Message: a private chat is the person. */
  get chat(): Chat.PrivateChat {
    const { id, firstName, lastName, username } = this.profile;
    return {
      id,
      type: 'private',
      first_name: firstName,
      ...(lastName ? { last_name: lastName } : {}),
      ...(username ? { username } : {}),
    };
  }

  /** The person as Telegram puts them in `from`. */
  get user(): User {
    const { id, firstName, lastName, username, languageCode } = this.profile;
    return {
      id,
      is_bot: false,
      first_name: firstName,
      ...(lastName ? { last_name: lastName } : {}),
      ...(username ? { username } : {}),
      language_code: languageCode,
    };
  }

  /** Message ids in a private chat count up across both sides, as on Telegram. */
  nextMessageId(): number {
    return this.#nextMessageId++;
  }

  get(messageId: number): ChatEntry | undefined {
    return this.#byId.get(messageId);
  }

  entries(): readonly ChatEntry[] {
    return this.#entries;
  }

  notices(): readonly CallbackNotice[] {
    return this.#notices;
  }

  add(sender: 'bot' | 'user', message: Message, parseMode?: string): ChatEntry {
    const entry: ChatEntry = { sender, message, parseMode, deleted: false, version: this.#bump() };
    this.#entries.push(entry);
    this.#byId.set(message.message_id, entry);
    if (this.#entries.length > entriesMax) {
      const dropped = this.#entries.shift();
      if (dropped) this.#byId.delete(dropped.message.message_id);
    }
    this.#changed(entry);
    return entry;
  }

  /** Replaces a message's content (an edit); the entry keeps its place in the chat. */
  replace(entry: ChatEntry, message: Message, parseMode: string | undefined): void {
    entry.message = message;
    entry.parseMode = parseMode;
    entry.version = this.#bump();
    this.#changed(entry);
  }

  delete(entry: ChatEntry): void {
    entry.deleted = true;
    entry.version = this.#bump();
    this.deletedMessageIds.push(entry.message.message_id);
    if (this.forceReply?.messageId === entry.message.message_id) this.forceReply = undefined;
    this.#changed();
  }

  notice(notice: Omit<CallbackNotice, 'version'>): void {
    this.#notices.push({ ...notice, version: this.#bump() });
    if (this.#notices.length > noticesMax) this.#notices.shift();
    this.#changed();
  }

  /** Records any other visible change (keyboard, chat action) so viewers refresh. */
  touch(): void {
    this.#bump();
    this.#changed();
  }

  /** Called with every message the bot sends or edits here (not deletions). */
  onBotMessage(listener: (entry: ChatEntry) => void): () => void {
    this.#botListeners.add(listener);
    return () => this.#botListeners.delete(listener);
  }

  /** Resolves on the next change after `after`, or after `waitMs`, or when `signal` aborts. */
  async changedSince(after: number, waitMs: number, signal?: AbortSignal): Promise<void> {
    if (this.version > after || waitMs <= 0 || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#changeListeners.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      this.#changeListeners.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Wakes every viewer now (the sandbox is closing). */
  release(): void {
    for (const listener of [...this.#changeListeners]) listener();
  }

  #bump(): number {
    this.version += 1;
    return this.version;
  }

  #changed(botEntry?: ChatEntry): void {
    if (botEntry?.sender === 'bot') for (const listener of [...this.#botListeners]) listener(botEntry);
    for (const listener of [...this.#changeListeners]) listener();
  }
}
