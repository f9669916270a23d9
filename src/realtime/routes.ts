import websocket from '@fastify/websocket';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { userIdOf } from '../api/plugins/auth.ts';
import { errors } from '../api/schemas.ts';
import { ChatPayError } from '../shared/errors.ts';
import type { EventBus, RealtimeEvent } from './events.ts';

/** What one realtime connection may cost. */
export interface RealtimeLimits {
  /** Open sockets per user in this process; the next one is closed with 1008. */
  readonly connectionsPerUserMax: number;
  /** A ping every interval; a socket that didn't answer the previous one is dropped. */
  readonly heartbeatIntervalMs: number;
  /** Largest client frame; `ws` closes the socket (1009) on anything bigger. */
  readonly clientMessageBytesMax: number;
  /** Unsent bytes a slow reader may pile up before we drop it (it re-syncs on reconnect). */
  readonly outboundBufferedBytesMax: number;
}

export const defaultRealtimeLimits: RealtimeLimits = {
  connectionsPerUserMax: 5,
  heartbeatIntervalMs: 30_000,
  clientMessageBytesMax: 4096,
  outboundBufferedBytesMax: 1024 * 1024,
};

/** The part of a `ws` WebSocket this file uses (the `ws` package ships no types here). */
interface ClientSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  ping(): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: unknown, isBinary: boolean) => void): void;
  on(event: 'pong' | 'close', listener: () => void): void;
}

const socketOpen = 1;
/** RFC 6455: the client broke the rules (too many sockets, unexpected message). */
const closePolicyViolation = 1008;
const clientPing = 'ping';

const description = [
  'A WebSocket that delivers events about your own wallets as they happen: `transfer.sent` and',
  '`transfer.received`. Connect with `Authorization: Bearer <access token>` or, where headers',
  "can't be set (browsers), `?access_token=<access token>`. Each message is one JSON event",
  '`{id, type, created_at, data}`; `data` is the transfer. Ids are unique, so drop duplicates.',
  'Delivery is best effort: after reconnecting, re-read `GET /v1/transactions`. The only message',
  'a client may send is the text `ping` (answered with `pong`); anything else closes the socket',
  `with 1008, as does opening more than ${defaultRealtimeLimits.connectionsPerUserMax} at once.`,
].join(' ');

/**
 * Registers the WebSocket plugin. It must come before any hook that can refuse a request (auth, rate
 * limits): the plugin's own onRequest hook takes charge of upgrade requests, and only then does a
 * refused upgrade get its socket closed after the answer.
 */
export async function registerWebSocket(
  app: FastifyInstance,
  limits: Partial<RealtimeLimits> = {},
): Promise<void> {
  const bytesMax = limits.clientMessageBytesMax ?? defaultRealtimeLimits.clientMessageBytesMax;
  await app.register(websocket, { options: { maxPayload: bytesMax } });
}

/** `GET /v1/realtime`: each signed-in user's events, from whichever process published them. */
export async function registerRealtime(
  app: FastifyInstance,
  deps: { bus: EventBus; limits?: Partial<RealtimeLimits> },
): Promise<void> {
  const limits: RealtimeLimits = { ...defaultRealtimeLimits, ...deps.limits };
  const connections = new ConnectionCounts(limits.connectionsPerUserMax);
  // The full declaration (`handler` + `wsHandler`) rather than `websocket: true`: the latter hides
  // the route from OpenAPI and answers plain HTTP with a bare 404.
  app.route({
    method: 'GET',
    url: '/v1/realtime',
    config: { access: 'user', tokenInQuery: true },
    schema: {
      tags: ['realtime'],
      summary: 'Live events about your wallets (WebSocket)',
      description,
      querystring: Type.Object({ access_token: Type.Optional(Type.String({ maxLength: 2048 })) }),
      response: {
        101: Type.Null({ description: 'Switching Protocols: the WebSocket is open.' }),
        // 429: the global rate limit counts connection attempts like any other /v1 request.
        ...errors(400, 401, 429),
      },
    },
    handler: async () => {
      throw new ChatPayError('validation_failed', {
        message: 'GET /v1/realtime is a WebSocket: send it as an upgrade (Upgrade: websocket).',
      });
    },
    wsHandler: (socket: ClientSocket, request: FastifyRequest) =>
      serve(socket, userIdOf(request), { bus: deps.bus, limits, connections, request }),
  });
}

interface Connection {
  readonly bus: EventBus;
  readonly limits: RealtimeLimits;
  readonly connections: ConnectionCounts;
  readonly request: FastifyRequest;
}

// 4000–4999 are the application's own close codes (RFC 6455 §7.4.2).
const closeTokenExpired = 4001;

function serve(socket: ClientSocket, userId: string, c: Connection): void {
  if (!c.connections.acquire(userId)) {
    c.request.log.info('realtime: too many connections for one user');
    socket.close(closePolicyViolation, 'too many connections');
    return;
  }
  // Listeners are attached before anything else so no client frame goes unseen.
  socket.on('message', (data, isBinary) => answer(socket, data, isBinary));
  const unsubscribe = c.bus.subscribe(userId, (event) => forward(socket, event, c.limits));
  const stopHeartbeat = startHeartbeat(socket, c.limits.heartbeatIntervalMs);
  // A socket may not outlive the token that opened it: the client reconnects with a fresh one.
  const principal = c.request.principal;
  const expiresInMs = principal?.kind === 'user' ? principal.expiresAtMs - Date.now() : 0;
  const expiry = setTimeout(
    () => socket.close(closeTokenExpired, 'access token expired'),
    Math.max(0, expiresInMs),
  );
  expiry.unref();
  socket.on('close', () => {
    clearTimeout(expiry);
    unsubscribe();
    stopHeartbeat();
    c.connections.release(userId);
  });
}

function forward(socket: ClientSocket, event: RealtimeEvent, limits: RealtimeLimits): void {
  if (socket.readyState !== socketOpen) return;
  if (socket.bufferedAmount > limits.outboundBufferedBytesMax) {
    // A reader this far behind costs memory for nothing: drop it; it re-syncs when it reconnects.
    socket.terminate();
    return;
  }
  socket.send(JSON.stringify(event));
}

/** Clients listen; the only thing they may say is `ping`. */
function answer(socket: ClientSocket, data: unknown, isBinary: boolean): void {
  if (socket.readyState !== socketOpen) return;
  if (!isBinary && Buffer.isBuffer(data) && data.toString('utf8') === clientPing) {
    socket.send('pong');
    return;
  }
  socket.close(closePolicyViolation, 'only "ping" may be sent');
}

/** Finds sockets whose peer vanished without a close (mobile networks): they'd hold a slot forever. */
function startHeartbeat(socket: ClientSocket, intervalMs: number): () => void {
  let alive = true;
  socket.on('pong', () => {
    alive = true;
  });
  const timer = setInterval(() => {
    if (!alive) {
      socket.terminate();
      return;
    }
    alive = false;
    if (socket.readyState === socketOpen) socket.ping();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Open sockets per user in this process. */
class ConnectionCounts {
  readonly #max: number;
  readonly #counts = new Map<string, number>();

  constructor(max: number) {
    this.#max = max;
  }

  acquire(userId: string): boolean {
    const count = this.#counts.get(userId) ?? 0;
    if (count >= this.#max) return false;
    this.#counts.set(userId, count + 1);
    return true;
  }

  release(userId: string): void {
    const count = (this.#counts.get(userId) ?? 0) - 1;
    if (count > 0) this.#counts.set(userId, count);
    else this.#counts.delete(userId);
  }
}
