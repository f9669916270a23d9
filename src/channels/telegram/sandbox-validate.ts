/**
 * The Telegram sandbox's parameter checks: reading parameters that may arrive as JSON values or as
 * strings (form and multipart bodies), formatted text (HTML, MarkdownV2, Markdown) with Telegram's
 * "can't parse entities" errors, reply markup, and bot commands. A bot that passes here should pass
 * on Telegram for the same reasons; the error texts are Telegram's.
 */
import type {
  BotCommand,
  InlineKeyboardButton,
  InlineKeyboardMarkup,
  ReplyKeyboardMarkup,
} from 'grammy/types';
import { badRequest, type Params } from './sandbox-http.ts';

/** Telegram's limit on message text after entity parsing, in UTF-16 code units. */
export const textLengthMax = 4096;
const callbackDataBytesMax = 64;
const commandsMax = 100;

export function stringParam(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw badRequest(`field "${name}" must be of type String`);
}

/** An integer parameter; Telegram treats an empty value as absent. */
export function intParam(params: Params, name: string): number | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(number)) throw badRequest(`invalid ${name} specified`);
  return number;
}

export function boolParam(params: Params, name: string): boolean {
  const value = params[name];
  return value === true || value === 'true' || value === '1' || value === 1;
}

/** A parameter that is an object or array: given as JSON in JSON bodies, as a JSON string otherwise. */
export function jsonParam(params: Params, name: string, what = name): unknown {
  const value = params[name];
  if (typeof value !== 'string') return value ?? undefined;
  if (value === '') return undefined;
  try {
    return JSON.parse(value);
  } catch {
    throw badRequest(`can't parse ${what} JSON object`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const byteOffset = (text: string, index: number) => Buffer.byteLength(text.slice(0, index));
const cantParse = (reason: string) => badRequest(`can't parse entities: ${reason}`);

/**
 * Checks a message text as Telegram does and returns its visible form (markup removed), which is
 * what the 1–4096 limit applies to.
 */
export function checkText(text: string | undefined, parseMode: string | undefined): string {
  if (text === undefined || text.length === 0) throw badRequest('message text is empty');
  const visible = visibleText(text, parseMode);
  if (visible.trim().length === 0) throw badRequest('message text is empty');
  if (visible.length > textLengthMax) throw badRequest('message is too long');
  return visible;
}

function visibleText(text: string, parseMode: string | undefined): string {
  switch ((parseMode ?? '').toLowerCase()) {
    case '':
      return text;
    case 'html':
      return htmlVisibleText(text);
    case 'markdownv2':
      return markdownV2VisibleText(text);
    case 'markdown':
      return markdownVisibleText(text);
    default:
      throw badRequest('unsupported parse_mode');
  }
}

const htmlTags = new Set([
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'span',
  'tg-spoiler',
  'a',
  'tg-emoji',
  'code',
  'pre',
  'blockquote',
  'tg-time',
]);

const htmlEntities: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

function decodeHtmlEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X'))
      return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return htmlEntities[name.toLowerCase()] ?? whole;
  });
}

function htmlVisibleText(text: string): string {
  const open: string[] = [];
  let visible = '';
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    if (lt < 0) {
      visible += text.slice(i);
      break;
    }
    visible += text.slice(i, lt);
    const gt = text.indexOf('>', lt);
    if (gt < 0) throw cantParse(`Unclosed start tag at byte offset ${byteOffset(text, lt)}`);
    const tag = text.slice(lt + 1, gt);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim().toLowerCase();
      const expected = open.pop();
      if (expected === undefined)
        throw cantParse(`Unexpected end tag at byte offset ${byteOffset(text, lt)}`);
      if (name !== expected)
        throw cantParse(
          `Unmatched end tag at byte offset ${byteOffset(text, lt)}, expected "</${expected}>", found "</${name}>"`,
        );
    } else {
      const name = (/^[^\s/>]*/.exec(tag)?.[0] ?? '').toLowerCase();
      if (!htmlTags.has(name))
        throw cantParse(`Unsupported start tag "${name}" at byte offset ${byteOffset(text, lt)}`);
      open.push(name);
    }
    i = gt + 1;
  }
  const unclosed = open.pop();
  if (unclosed !== undefined) throw cantParse(`Can't find end tag corresponding to start tag "${unclosed}"`);
  return decodeHtmlEntities(visible);
}

const markdownV2Reserved = new Set('_*[]()~`>#+-=|{}.!');
const markdownV2Entities: Record<string, string> = {
  '*': 'Bold',
  _: 'Italic',
  __: 'Underline',
  '~': 'Strikethrough',
  '||': 'Spoiler',
};

/** Telegram's MarkdownV2: every reserved character outside an entity must be escaped with `\`. */
function markdownV2VisibleText(text: string): string {
  const open = new Map<string, number>();
  let visible = '';
  let linkAt: number | undefined;
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    const lineStart = i === 0 || text[i - 1] === '\n';
    if (c === '\\') {
      visible += text[i + 1] ?? '';
      i += 2;
      continue;
    }
    if (c === '`') {
      i = markdownV2Code(text, i, (code) => {
        visible += code;
      });
      continue;
    }
    const marker = text.startsWith('__', i) ? '__' : text.startsWith('||', i) ? '||' : c;
    if (markdownV2Entities[marker]) {
      if (open.has(marker)) open.delete(marker);
      else open.set(marker, i);
      i += marker.length;
      continue;
    }
    if (c === '[' || (c === '!' && text[i + 1] === '[')) {
      if (linkAt !== undefined) throw reservedCharacter('[');
      linkAt = i;
      i += c === '!' ? 2 : 1;
      continue;
    }
    if (c === ']' && linkAt !== undefined) {
      if (text[i + 1] !== '(')
        throw cantParse(`Can't find end of TextUrl entity at byte offset ${byteOffset(text, linkAt)}`);
      const close = markdownV2UrlEnd(text, i + 2);
      if (close < 0) throw cantParse(`Can't find end of a URL at byte offset ${byteOffset(text, i + 2)}`);
      linkAt = undefined;
      i = close + 1;
      continue;
    }
    if (c === '>' && lineStart) {
      i += 1;
      continue;
    }
    if (markdownV2Reserved.has(c)) throw reservedCharacter(c);
    visible += c;
    i += 1;
  }
  if (linkAt !== undefined)
    throw cantParse(`Can't find end of TextUrl entity at byte offset ${byteOffset(text, linkAt)}`);
  for (const [marker, at] of open)
    throw cantParse(
      `Can't find end of ${markdownV2Entities[marker]} entity at byte offset ${byteOffset(text, at)}`,
    );
  return visible;
}

function reservedCharacter(c: string) {
  return cantParse(`Character '${c}' is reserved and must be escaped with the preceding '\\'`);
}

/** Reads `code` or ```pre``` starting at `start`; returns the index after it. */
function markdownV2Code(text: string, start: number, emit: (code: string) => void): number {
  const fence = text.startsWith('```', start) ? '```' : '`';
  let i = start + fence.length;
  let code = '';
  while (i < text.length) {
    if (text[i] === '\\') {
      code += text[i + 1] ?? '';
      i += 2;
      continue;
    }
    if (text.startsWith(fence, i)) {
      emit(fence === '```' ? code.replace(/^[^\n]*\n/, '') : code);
      return i + fence.length;
    }
    code += text[i];
    i += 1;
  }
  const entity = fence === '```' ? 'Pre' : 'Code';
  throw cantParse(`Can't find end of ${entity} entity at byte offset ${byteOffset(text, start)}`);
}

/** Index of the `)` closing a link URL, where `)` and `\` must be escaped; -1 if none. */
function markdownV2UrlEnd(text: string, start: number): number {
  for (let i = start; i < text.length; i++) {
    if (text[i] === '\\') i += 1;
    else if (text[i] === ')') return i;
  }
  return -1;
}

/** Legacy Markdown: only `*`, `_`, `` ` `` and `[` start entities, and each must be closed. */
function markdownVisibleText(text: string): string {
  let visible = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    const fence = text.startsWith('```', i) ? '```' : c;
    if (fence === '*' || fence === '_' || fence === '`' || fence === '```') {
      const end = text.indexOf(fence, i + fence.length);
      if (end < 0)
        throw cantParse(`Can't find end of the entity starting at byte offset ${byteOffset(text, i)}`);
      visible += text.slice(i + fence.length, end);
      i = end + fence.length;
      continue;
    }
    if (c === '[') {
      const match = /^\[([^\]]*)\]\(([^)]*)\)/.exec(text.slice(i));
      if (match) {
        visible += match[1];
        i += match[0].length;
        continue;
      }
    }
    visible += c;
    i += 1;
  }
  return visible;
}

/** Reply markup as stored: an inline keyboard (part of the Message) or a chat-level keyboard change. */
export type ReplyMarkupParam =
  | { kind: 'inline'; markup: InlineKeyboardMarkup }
  | { kind: 'keyboard'; markup: ReplyKeyboardMarkup }
  | { kind: 'remove_keyboard' }
  | { kind: 'force_reply'; placeholder?: string };

export function readReplyMarkup(params: Params): ReplyMarkupParam | undefined {
  const value = jsonParam(params, 'reply_markup', 'reply keyboard markup');
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw badRequest("can't parse reply keyboard markup JSON object");
  if ('inline_keyboard' in value)
    return { kind: 'inline', markup: readInlineKeyboard(value.inline_keyboard) };
  if ('keyboard' in value) return { kind: 'keyboard', markup: readKeyboard(value) };
  if (value.remove_keyboard === true) return { kind: 'remove_keyboard' };
  if (value.force_reply === true) {
    const placeholder =
      typeof value.input_field_placeholder === 'string' ? value.input_field_placeholder : undefined;
    return placeholder === undefined ? { kind: 'force_reply' } : { kind: 'force_reply', placeholder };
  }
  throw badRequest("can't parse reply keyboard markup JSON object");
}

const inlineActions = [
  'url',
  'callback_data',
  'web_app',
  'login_url',
  'switch_inline_query',
  'switch_inline_query_current_chat',
  'switch_inline_query_chosen_chat',
  'copy_text',
  'callback_game',
  'pay',
] as const;

function readInlineKeyboard(rows: unknown): InlineKeyboardMarkup {
  if (!Array.isArray(rows))
    throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array');
  const keyboard: InlineKeyboardButton[][] = [];
  for (const row of rows) {
    if (!Array.isArray(row))
      throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
    keyboard.push(row.map(readInlineButton));
  }
  return { inline_keyboard: keyboard };
}

function readInlineButton(button: unknown): InlineKeyboardButton {
  const problem = (reason: string) => badRequest(`can't parse inline keyboard button: ${reason}`);
  if (!isObject(button)) throw problem('InlineKeyboardButton must be an Object');
  if (typeof button.text !== 'string') throw problem('Field "text" must be of type String');
  const actions = inlineActions.filter((action) => button[action] !== undefined);
  if (actions.length === 0) throw problem('Text buttons are unallowed in the inline keyboard');
  const data = button.callback_data;
  if (data !== undefined) {
    const bytes = typeof data === 'string' ? Buffer.byteLength(data) : 0;
    if (bytes < 1 || bytes > callbackDataBytesMax) throw badRequest('BUTTON_DATA_INVALID');
  }
  if (button.url !== undefined && (typeof button.url !== 'string' || !URL.canParse(button.url)))
    throw badRequest('BUTTON_URL_INVALID');
  return button as unknown as InlineKeyboardButton;
}

function readKeyboard(value: Record<string, unknown>): ReplyKeyboardMarkup {
  const rows = value.keyboard;
  if (!Array.isArray(rows) || !rows.every(Array.isArray))
    throw badRequest('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays');
  const keyboard = (rows as unknown[][]).map((row) =>
    row.map((button) => {
      if (typeof button === 'string') return { text: button };
      if (isObject(button) && typeof button.text === 'string') return button as { text: string };
      throw badRequest('can\'t parse keyboard button: Field "text" must be of type String');
    }),
  );
  return { ...(value as object), keyboard } as ReplyKeyboardMarkup;
}

/** The `commands` of setMyCommands, checked as Telegram does (lower-case names, 1–256 char texts). */
export function readCommands(params: Params): BotCommand[] {
  const value = jsonParam(params, 'commands', 'commands');
  if (!Array.isArray(value)) throw badRequest('parameter "commands" is required');
  if (value.length > commandsMax) throw badRequest('too many commands specified');
  return value.map((entry: unknown) => {
    if (!isObject(entry) || typeof entry.command !== 'string' || typeof entry.description !== 'string')
      throw badRequest("can't parse BotCommand");
    const command = entry.command.replace(/^\//, '');
    if (!/^[a-z0-9_]{1,32}$/.test(command)) throw badRequest('BOT_COMMAND_INVALID');
    const description = entry.description.trim();
    if (description.length < 1 || description.length > 256)
      throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
    return { command, description };
  });
}

const scopeTypes = new Set([
  'default',
  'all_private_chats',
  'all_group_chats',
  'all_chat_administrators',
  'chat',
  'chat_administrators',
  'chat_member',
]);

/** A stable key for a command list: scope (type, chat, user) and language. */
export function commandsKey(params: Params): string {
  const scope = jsonParam(params, 'scope', 'BotCommandScope') ?? { type: 'default' };
  if (!isObject(scope) || typeof scope.type !== 'string' || !scopeTypes.has(scope.type))
    throw badRequest('unsupported bot command scope type');
  const language = stringParam(params, 'language_code') ?? '';
  if (language !== '' && !/^[a-z]{2}$/.test(language)) throw badRequest('invalid language code specified');
  return JSON.stringify([scope.type, scope.chat_id ?? null, scope.user_id ?? null, language]);
}
