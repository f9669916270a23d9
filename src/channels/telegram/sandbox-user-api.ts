/**
 * The person's side of the sandbox over HTTP, for the web chat simulator (and anything else that
 * wants to play a Telegram user): create a person, write, tap buttons, share a contact, pay, and
 * long-poll the chat. These endpoints, and only these, allow any origin (CORS).
 *
 * - `POST /sandbox/users` `{id?, first_name?, last_name?, username?, language_code?}` → 201 profile
 * - `GET  /sandbox/users/:id` → profile
 * - `POST /sandbox/users/:id/language` `{language_code}` → profile
 * - `POST /sandbox/users/:id/messages` `{text}` → `{message}`
 * - `POST /sandbox/users/:id/callbacks` `{message_id, data}` → `{callback_query_id}`
 * - `POST /sandbox/users/:id/contact` `{phone_number, first_name?}` → `{message}`
 * - `POST /sandbox/users/:id/payments` `{message_id?}` → the payment outcome (waits for the bot)
 * - `GET  /sandbox/users/:id/messages?after=<version>&timeout=<s>` → the chat feed after `version`,
 *   held up to 25 s (or `timeout`) until something changes
 * - `GET  /sandbox/chat` → the chat page
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError } from '../../shared/http-body.ts';
import type { ChatState } from './sandbox-chats.ts';
import { parseParams, readRequest, type Sent, sendHtml, sendJson } from './sandbox-http.ts';
import { chatPage } from './sandbox-page.ts';
import type { SandboxUser, SandboxUserProfile } from './sandbox-user.ts';
import { intParam, stringParam } from './sandbox-validate.ts';

const feedWaitSecondsMax = 25;

export type UserDirectory = {
  readonly user: (profile: SandboxUserProfile) => SandboxUser;
  readonly findUser: (id: number) => SandboxUser | undefined;
};

const cors = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type',
  'access-control-max-age': '600',
};

const reply = (res: ServerResponse, status: number, body: unknown) => sendJson(res, status, body, cors);
const failure = (res: ServerResponse, status: number, error: string) => reply(res, status, { error });

export async function handleUserApi(
  users: UserDirectory,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<Sent> {
  const method = req.method ?? 'GET';
  if (url.pathname === '/sandbox/chat' && method === 'GET') return sendHtml(res, 200, chatPage());
  if (method === 'OPTIONS') {
    res.writeHead(204, cors);
    res.end();
    return { sent: true };
  }
  let params: Record<string, unknown> | undefined;
  try {
    params = parseParams(
      req.headers['content-type'] ?? 'application/json',
      await readRequest(req),
      url.searchParams,
    );
  } catch (error) {
    if (error instanceof BodyTooLargeError) return failure(res, 413, 'body too large');
    throw error;
  }
  if (!params) return failure(res, 400, 'body must be a JSON object');
  if (url.pathname === '/sandbox/users' && method === 'POST')
    return reply(res, 201, createUser(users, params));
  const match = /^\/sandbox\/users\/(\d+)(?:\/(language|messages|callbacks|contact|payments))?$/.exec(
    url.pathname,
  );
  const user = match ? users.findUser(Number(match[1])) : undefined;
  if (!match || !user) return failure(res, 404, 'not found');
  try {
    return await route(user, method, match[2] ?? '', params, res);
  } catch (error) {
    // The person tried something their client would not offer (a missing button, an empty text).
    if (error instanceof Error && !(error instanceof TypeError)) return failure(res, 400, error.message);
    throw error;
  }
}

function createUser(users: UserDirectory, params: Record<string, unknown>) {
  const profile: SandboxUserProfile = {
    ...(intParam(params, 'id') !== undefined ? { id: intParam(params, 'id') } : {}),
    firstName: stringParam(params, 'first_name') || 'Test',
    ...(stringParam(params, 'last_name') ? { lastName: stringParam(params, 'last_name') } : {}),
    ...(stringParam(params, 'username') ? { username: stringParam(params, 'username') } : {}),
    languageCode: stringParam(params, 'language_code') || 'en',
  };
  return describe(users.user(profile));
}

function describe(user: SandboxUser) {
  return {
    id: user.id,
    chat_id: user.chatId,
    first_name: user.firstName,
    ...(user.username ? { username: user.username } : {}),
    language_code: user.languageCode,
  };
}

async function route(
  user: SandboxUser,
  method: string,
  action: string,
  params: Record<string, unknown>,
  res: ServerResponse,
): Promise<Sent> {
  const key = `${method} ${action}`;
  switch (key) {
    case 'GET ':
      return reply(res, 200, describe(user));
    case 'POST language': {
      const code = stringParam(params, 'language_code') ?? '';
      if (!/^[a-z]{2,3}(-[A-Za-z0-9]+)*$/.test(code)) return failure(res, 400, 'language_code is invalid');
      user.languageCode = code;
      return reply(res, 200, describe(user));
    }
    case 'POST messages':
      return reply(res, 200, { message: user.send(stringParam(params, 'text') ?? '') });
    case 'POST callbacks': {
      const query = user.press(intParam(params, 'message_id') ?? 0, stringParam(params, 'data') ?? '');
      return reply(res, 200, { callback_query_id: query.id });
    }
    case 'POST contact':
      return reply(res, 200, {
        message: user.shareContact(
          stringParam(params, 'phone_number') ?? '',
          stringParam(params, 'first_name'),
        ),
      });
    case 'POST payments':
      return reply(res, 200, await user.payInvoice(intParam(params, 'message_id')));
    case 'GET messages':
      return feed(user.chat, params, res);
    default:
      return failure(res, 405, 'method not allowed');
  }
}

async function feed(chat: ChatState, params: Record<string, unknown>, res: ServerResponse): Promise<Sent> {
  const after = intParam(params, 'after') ?? 0;
  const waitSeconds = Math.min(
    Math.max(intParam(params, 'timeout') ?? feedWaitSecondsMax, 0),
    feedWaitSecondsMax,
  );
  const gone = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  await chat.changedSince(after, waitSeconds * 1000, gone.signal);
  const action = chat.action && chat.action.untilMs > Date.now() ? chat.action.action : null;
  return reply(res, 200, {
    version: chat.version,
    messages: chat
      .entries()
      .filter((entry) => entry.version > after)
      .map((entry) => ({
        sender: entry.sender,
        deleted: entry.deleted,
        version: entry.version,
        parse_mode: entry.parseMode ?? null,
        message: entry.message,
      })),
    notices: chat.notices().filter((notice) => notice.version > after),
    reply_keyboard: chat.replyKeyboard ?? null,
    force_reply: chat.forceReply ?? null,
    action,
    language_code: chat.profile.languageCode,
  });
}
