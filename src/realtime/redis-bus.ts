import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../shared/logger.ts';
import type { Secret } from '../shared/secret.ts';
import { type EventBus, type RealtimeEvent, realtimeEventTypes } from './events.ts';

export interface RedisEventBusOptions {
  /** `redis://…` or `rediss://…`; may hold a password, so it stays a Secret until we connect. */
  readonly url: Secret;
  readonly logger: Logger;
  /** Prepended to the user id to name the user's channel. Tests use a unique one per run. */
  readonly channelPrefix?: string;
  /** Longest wait between reconnection attempts: Redis coming back is noticed within this. */
  readonly reconnectDelayMaxMs?: number;
  /** How long `isReady()` waits for PING before calling Redis unavailable. */
  readonly readyTimeoutMs?: number;
  /** How long a connection attempt may take before it counts as failed. */
  readonly connectTimeoutMs?: number;
  /** How long PUBLISH may take: a transfer's response waits on it. */
  readonly commandTimeoutMs?: number;
  /** Names the connections in `CLIENT LIST` (`<name>-publisher`, `<name>-subscriber`). */
  readonly connectionName?: string;
}

export const defaultChannelPrefix = 'chatpay:realtime:user:';
const defaultConnectionName = 'chatpay-realtime';
const reconnectDelayStepMs = 100;
const defaults = {
  reconnectDelayMaxMs: 2_000,
  readyTimeoutMs: 1_000,
  connectTimeoutMs: 2_000,
  commandTimeoutMs: 1_000,
} as const;

type Listener = (event: RealtimeEvent) => void;
type Role = 'publisher' | 'subscriber';

/**
 * The multi-process bus: every API process publishes to and subscribes on Redis, one channel per
 * user, so an event reaches the user's sockets whichever process holds them. Local listeners only
 * ever hear events through Redis (never a local shortcut), so no event is delivered twice.
 *
 * Delivery is best effort, like the in-memory bus: while Redis is down, `publish` fails fast and
 * clients catch up from `GET /v1/transactions` when they reconnect. Redis errors are logged, never
 * thrown at the process.
 */
export class RedisEventBus implements EventBus {
  readonly #publisher: Redis;
  /** Pub/sub needs its own connection: a RESP2 subscriber can't PUBLISH. */
  readonly #subscriber: Redis;
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #prefix: string;
  readonly #everything = new Set<(userId: string, event: RealtimeEvent) => void>();
  readonly #logger: Logger;
  readonly #readyTimeoutMs: number;
  /** Per connection, whether its current outage was already logged (one warning per outage). */
  readonly #down: Record<Role, boolean> = { publisher: false, subscriber: false };
  #closed = false;

  constructor(options: RedisEventBusOptions) {
    this.#prefix = options.channelPrefix ?? defaultChannelPrefix;
    this.#logger = options.logger;
    this.#readyTimeoutMs = options.readyTimeoutMs ?? defaults.readyTimeoutMs;
    const connection = connectionOptions(options);
    const name = options.connectionName ?? defaultConnectionName;
    // reveal() only here: the URL goes to ioredis and nowhere else (never to a log line).
    this.#publisher = new Redis(options.url.reveal(), { ...connection, connectionName: `${name}-publisher` });
    this.#subscriber = new Redis(options.url.reveal(), {
      ...connection,
      connectionName: `${name}-subscriber`,
      // `#resubscribeAll` does it from the listener map, which also knows who left meanwhile.
      autoResubscribe: false,
    });
    this.#watch(this.#publisher, 'publisher');
    this.#watch(this.#subscriber, 'subscriber');
    this.#subscriber.on('ready', () => this.#resubscribeAll());
    this.#subscriber.on('message', (channel: string, message: string) => this.#deliver(channel, message));
    this.#subscriber.on('pmessage', (_pattern: string, channel: string, message: string) =>
      this.#deliverToAll(channel, message),
    );
  }

  async publish(userId: string, event: RealtimeEvent): Promise<void> {
    if (this.#closed) throw new Error('event bus closed');
    await this.#publisher.publish(this.#channel(userId), JSON.stringify(event));
  }

  subscribe(userId: string, listener: Listener): () => void {
    let set = this.#listeners.get(userId);
    if (!set) {
      set = new Set();
      this.#listeners.set(userId, set);
      this.#sendSubscription('subscribe', userId);
    }
    set.add(listener);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      set.delete(listener);
      if (set.size > 0 || this.#listeners.get(userId) !== set) return;
      this.#listeners.delete(userId);
      this.#sendSubscription('unsubscribe', userId);
    };
  }

  subscribeAll(listener: (userId: string, event: RealtimeEvent) => void): () => void {
    if (this.#everything.size === 0) this.#sendPattern('psubscribe');
    this.#everything.add(listener);
    return () => {
      if (!this.#everything.delete(listener) || this.#everything.size > 0) return;
      this.#sendPattern('punsubscribe');
    };
  }

  async isReady(): Promise<boolean> {
    if (this.#closed) return false;
    const ping = async (redis: Redis) => redis.status === 'ready' && (await redis.ping()) === 'PONG';
    const both = Promise.all([ping(this.#publisher), ping(this.#subscriber)]).then(
      ([publisher, subscriber]) => publisher && subscriber,
      () => false,
    );
    return withTimeout(both, this.#readyTimeoutMs, false);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.#everything.clear();
    await Promise.all([quit(this.#publisher), quit(this.#subscriber)]);
  }

  #channel(userId: string): string {
    return `${this.#prefix}${userId}`;
  }

  /**
   * Sends SUBSCRIBE/UNSUBSCRIBE only on a ready connection. While Redis is away the listener map
   * is the truth: `#resubscribeAll` replays it on every (re)connection, which also drops channels
   * whose last listener left during the outage.
   */
  #sendSubscription(command: 'subscribe' | 'unsubscribe', userId: string): void {
    if (this.#closed || this.#subscriber.status !== 'ready') return;
    this.#subscriber[command](this.#channel(userId)).catch((error: unknown) => {
      this.#logger.warn({ command, redisError: describe(error) }, 'redis event bus: subscription failed');
    });
  }

  #resubscribeAll(): void {
    for (const userId of this.#listeners.keys()) this.#sendSubscription('subscribe', userId);
    if (this.#everything.size > 0) this.#sendPattern('psubscribe');
  }

  #sendPattern(command: 'psubscribe' | 'punsubscribe'): void {
    if (this.#closed || this.#subscriber.status !== 'ready') return;
    this.#subscriber[command](`${this.#prefix}*`).catch((error: unknown) => {
      this.#logger.warn({ command, redisError: describe(error) }, 'redis event bus: subscription failed');
    });
  }

  #deliverToAll(channel: string, message: string): void {
    if (!channel.startsWith(this.#prefix)) return;
    const event = parseEvent(message);
    if (!event) return;
    const userId = channel.slice(this.#prefix.length);
    for (const listener of [...this.#everything]) {
      try {
        listener(userId, event);
      } catch (error) {
        this.#logger.warn({ err: error }, 'redis event bus: listener failed');
      }
    }
  }

  #deliver(channel: string, message: string): void {
    if (!channel.startsWith(this.#prefix)) return;
    const listeners = this.#listeners.get(channel.slice(this.#prefix.length));
    if (!listeners) return;
    const event = parseEvent(message);
    if (!event) {
      this.#logger.warn({ bytes: message.length }, 'redis event bus: dropped a malformed message');
      return;
    }
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (error) {
        // One broken listener (a socket that just died) must not cost the others their event.
        this.#logger.warn({ err: error }, 'redis event bus: listener failed');
      }
    }
  }

  /** Without an `error` listener, ioredis errors would be unhandled and crash the process. */
  #watch(redis: Redis, role: Role): void {
    redis.on('error', (error: unknown) => {
      if (this.#down[role]) return;
      this.#down[role] = true;
      this.#logger.warn(
        { connection: role, redisError: describe(error) },
        'redis event bus: connection error',
      );
    });
    redis.on('ready', () => {
      if (!this.#down[role]) return;
      this.#down[role] = false;
      this.#logger.info({ connection: role }, 'redis event bus: reconnected');
    });
  }
}

function connectionOptions(options: RedisEventBusOptions): RedisOptions {
  const reconnectDelayMaxMs = options.reconnectDelayMaxMs ?? defaults.reconnectDelayMaxMs;
  return {
    // Keep trying for as long as the process lives, but never wait longer than the cap between tries.
    retryStrategy: (times) => Math.min(times * reconnectDelayStepMs, reconnectDelayMaxMs),
    maxRetriesPerRequest: 1,
    // Fail fast instead of queueing: a transfer must not wait for a Redis that isn't there, and a
    // late event is worth no more than the client's re-sync.
    enableOfflineQueue: false,
    connectTimeout: options.connectTimeoutMs ?? defaults.connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs ?? defaults.commandTimeoutMs,
  };
}

/** Code and message only: an ioredis error can carry the command's arguments (event payloads). */
function describe(error: unknown): { code?: string; message: string } {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? { code, message: error.message } : { message: error.message };
}

function parseEvent(message: string): RealtimeEvent | undefined {
  try {
    const value: unknown = JSON.parse(message);
    if (typeof value !== 'object' || value === null) return undefined;
    const { id, type, created_at } = value as Record<string, unknown>;
    const known = (realtimeEventTypes as readonly unknown[]).includes(type);
    if (typeof id !== 'string' || typeof created_at !== 'string' || !known) return undefined;
    return value as RealtimeEvent;
  } catch {
    return undefined;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** QUIT lets pending replies arrive; when the connection isn't up, there is nothing to wait for. */
async function quit(redis: Redis): Promise<void> {
  try {
    if (redis.status === 'ready') {
      await redis.quit();
      return;
    }
  } catch {
    // Fall through: a failed QUIT still has to stop the reconnection loop.
  }
  redis.disconnect();
}
