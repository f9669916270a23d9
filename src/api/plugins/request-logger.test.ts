import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { lazyRequestLogger } from './request-logger.ts';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const logger = pino({ level, base: { service: 'chatpay' } }, stream);
  return { logger, lines };
}

describe('lazyRequestLogger', () => {
  it('makes no child while nothing is logged at an enabled level', () => {
    const { logger, lines } = capture('warn');
    const child = vi.spyOn(logger, 'child');
    const log = lazyRequestLogger(logger, { reqId: 'req_1' }, {});
    log.info('not at this level');
    log.debug({ a: 1 }, 'nor this');
    expect(child).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
    expect(log.level).toBe('warn');
  });

  it('logs an enabled line through a child bound to the request, made once', () => {
    const { logger, lines } = capture('info');
    const child = vi.spyOn(logger, 'child');
    const log = lazyRequestLogger(logger, { reqId: 'req_2' }, {});
    log.info({ route: '/v1/wallets' }, 'first');
    log.warn('second');
    log.debug('filtered by the child as by the parent');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines).toEqual([
      expect.objectContaining({ reqId: 'req_2', service: 'chatpay', route: '/v1/wallets', msg: 'first' }),
      expect.objectContaining({ reqId: 'req_2', msg: 'second', level: 40 }),
    ]);
  });

  it('gives a further child the request bindings too', () => {
    const { logger, lines } = capture('info');
    const log = lazyRequestLogger(logger, { reqId: 'req_3' }, {});
    log.child({ part: 'ledger' }).error('inner');
    expect(lines).toEqual([expect.objectContaining({ reqId: 'req_3', part: 'ledger', msg: 'inner' })]);
  });

  it('follows a level set on it, as a pino child does', () => {
    const { logger, lines } = capture('warn');
    const log = lazyRequestLogger(logger, { reqId: 'req_4' }, {});
    log.level = 'debug';
    log.debug('now enabled');
    expect(lines).toEqual([expect.objectContaining({ reqId: 'req_4', msg: 'now enabled' })]);
    expect(logger.level).toBe('warn');
  });
});
