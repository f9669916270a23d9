import { Redis } from 'ioredis';
import type { Logger } from './logger.ts';
import type { Secret } from './secret.ts';

const reconnectDelayStepMs = 200;
const reconnectDelayMaxMs = 5_000;
const commandTimeoutMs = 500;

/**
 * A Redis client for shared request state (rate limits). It fails fast while Redis is away (no
 * offline queue, bounded command time), so a Redis outage costs a request nothing but the shared
 * state; it reconnects with a capped backoff and reports trouble once per outage, never the URL.
 */
export function connectRedis(url: Secret, logger: Logger): Redis {
  const redis = new Redis(url.reveal(), {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    commandTimeout: commandTimeoutMs,
    retryStrategy: (attempt) => Math.min(attempt * reconnectDelayStepMs, reconnectDelayMaxMs),
  });
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn({ redisError: { message: error.message } }, 'redis unavailable');
  });
  redis.on('ready', () => {
    down = false;
  });
  return redis;
}
