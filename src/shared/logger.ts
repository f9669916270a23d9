import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

/**
 * Paths whose values never reach a log line. Request bodies and headers are the usual leaks; the
 * list is shared with the HTTP server's logger.
 */
export const redactPaths: readonly string[] = [
  'password',
  '*.password',
  'pin',
  '*.pin',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'apiKey',
  '*.apiKey',
  'databaseUrl',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'req.query.access_token',
  'res.headers["set-cookie"]',
];

export function createLogger(
  level: string,
  options: LoggerOptions = {},
  /** Default: pino's own (fast, synchronous) writer to stdout. */
  destination?: DestinationStream,
): Logger {
  const settings: LoggerOptions = {
    level,
    base: { service: 'chatpay' },
    redact: { paths: [...redactPaths], censor: '[redacted]' },
    ...options,
  };
  return destination ? pino(settings, destination) : pino(settings);
}
