import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isChatPayError } from '../shared/errors.ts';
import { loadConfig } from './load.ts';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (isChatPayError(error, 'config_invalid')) return error.details?.problems as string[];
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('has working defaults for development', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      http: { host: '127.0.0.1', port: 3000 },
      logLevel: 'info',
    });
    expect(config.database.url).toBeUndefined();
    expect(config.dataDir).toMatch(/\.chatpay$/);
  });

  it('is frozen all the way down', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.ledger)).toBe(true);
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow();
  });

  it('converts and bounds numbers', () => {
    expect(loadConfig({ PORT: '8080', LEDGER_BATCH_TRANSFERS_MAX: '100' })).toMatchObject({
      http: { port: 8080 },
      ledger: { batchTransfersMax: 100 },
    });
  });

  it('reports every problem at once, in one message', () => {
    const found = problems({
      PORT: 'abc',
      LOG_LEVEL: 'loud',
      DATABASE_POOL_MAX: '0',
      NODE_ENV: 'production',
    });
    expect(found).toHaveLength(6);
    expect(found.join('\n')).toMatch(/JWT_SECRET: required in production/);
    expect(found.join('\n')).toMatch(/SECRETS_KEY: required in production/);
    expect(found.join('\n')).toMatch(/PORT/);
    expect(found.join('\n')).toMatch(/LOG_LEVEL/);
    expect(found.join('\n')).toMatch(/DATABASE_POOL_MAX/);
    expect(found.join('\n')).toMatch(/DATABASE_URL: required in production/);
  });

  it('refuses embedded defaults in production', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual([
      'DATABASE_URL: required in production (the embedded PostgreSQL is for development only)',
      'JWT_SECRET: required in production (development generates one in the data dir)',
      'SECRETS_KEY: required in production (development generates one in the data dir)',
    ]);
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://u:p@db/chatpay',
      JWT_SECRET: 'j'.repeat(32),
      SECRETS_KEY: 's'.repeat(32),
    };
    expect(problems(production)).toEqual([]);
    expect(problems({ ...production, JWT_SECRET: 'short' }).join('\n')).toMatch(/JWT_SECRET/);
    expect(problems({ ...production, JWT_SECRET: 'short' }).join('\n')).not.toContain('short');
    expect(problems({ ...production, SECRETS_KEY: 'too-short' }).join('\n')).toMatch(/SECRETS_KEY/);
    expect(problems({ ...production, SECRETS_KEY: 'too-short' }).join('\n')).not.toContain('too-short');
    const previous = problems({ ...production, SECRETS_KEY_PREVIOUS: 'old-and-short' }).join('\n');
    expect(previous).toMatch(/SECRETS_KEY_PREVIOUS/);
    expect(previous).not.toContain('old-and-short');
  });

  it("puts people's wallets in test mode in development and live mode in production, unless told", () => {
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://u:p@db/chatpay',
      JWT_SECRET: 'j'.repeat(32),
      SECRETS_KEY: 's'.repeat(32),
    };
    expect(loadConfig({}).payments.walletsMode).toBe('test');
    expect(loadConfig(production).payments.walletsMode).toBe('live');
    expect(loadConfig({ ...production, WALLETS_MODE: 'test' }).payments.walletsMode).toBe('test');
    expect(loadConfig({ WALLETS_MODE: 'live' }).payments.walletsMode).toBe('live');
    expect(problems({ WALLETS_MODE: 'both' }).join('\n')).toMatch(/WALLETS_MODE/);
  });

  it('never echoes the database URL, and keeps it out of logs', () => {
    const secret = 'postgres://chatpay:hunter2-canary@db/chatpay';
    const found = problems({ DATABASE_URL: 'mysql://root:hunter2-canary@db', PORT: '-1' });
    expect(found.join('\n')).not.toContain('hunter2-canary');
    const config = loadConfig({ DATABASE_URL: secret });
    expect(config.database.url?.reveal()).toBe(secret);
    expect(JSON.stringify(config)).not.toContain('hunter2-canary');
    expect(inspect(config, { depth: 10 })).not.toContain('hunter2-canary');
    expect(`${config.database.url}`).toBe('[redacted]');
  });

  it('takes a metrics token, refuses a short one without echoing it, and keeps it out of logs', () => {
    const token = 'metrics_canary_0123456789abcdef';
    expect(loadConfig({}).metricsToken).toBeUndefined();
    const config = loadConfig({ METRICS_TOKEN: token });
    expect(config.metricsToken?.reveal()).toBe(token);
    expect(JSON.stringify(config)).not.toContain(token);
    const found = problems({ METRICS_TOKEN: 'short-canary' });
    expect(found.join('\n')).toMatch(/METRICS_TOKEN/);
    expect(found.join('\n')).not.toContain('short-canary');
  });

  it('echoes a bad number or word back, and never free text, which may be a secret', () => {
    expect(problems({ PORT: '-1' }).join('\n')).toContain('(got -1)');
    expect(problems({ LOG_LEVEL: 'loud' }).join('\n')).toContain('(got "loud")');
    // Free text is never echoed, whatever the variable, secret or not.
    const found = problems({ PUBLIC_URL: 'canary-not-a-url', DATABASE_URL: 'canary-db' }).join('\n');
    expect(found).toMatch(/PUBLIC_URL/);
    expect(found).toMatch(/DATABASE_URL/);
    expect(found).not.toContain('canary');
  });

  it('reads a .env file under the environment', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatpay-env-'));
    try {
      const file = join(dir, '.env');
      await writeFile(file, 'PORT=4000\nLOG_LEVEL=debug\n');
      expect(loadConfig({ LOG_LEVEL: 'warn' }, { envFile: file })).toMatchObject({
        http: { port: 4000 },
        logLevel: 'warn',
      });
      expect(loadConfig({}, { envFile: join(dir, 'missing.env') }).http.port).toBe(3000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports bad payment settings and partial provider credentials, never echoing a secret', () => {
    const found = problems({
      PAYMENT_FEES: '[{"provider":"*","currency":"*","direction":"deposit","fixed":"1"}]',
      PAYMENT_LIMITS: 'nope',
      WITHDRAWAL_APPROVAL_ABOVE: 'KES=1.001',
      MPESA_CONSUMER_KEY: 'canary-consumer-key-1234',
      STRIPE_SECRET_KEY: 'sk_test_canary5678',
    });
    const text = found.join('\n');
    expect(text).toMatch(/PAYMENT_FEES: rule 0: fixed, min and max amounts need a concrete currency/);
    expect(text).toMatch(/PAYMENT_LIMITS: must be a JSON array/);
    expect(text).toMatch(/WITHDRAWAL_APPROVAL_ABOVE: KES/);
    expect(text).toMatch(/MPESA_/);
    expect(text).toMatch(/STRIPE_WEBHOOK_SECRET/);
    expect(text).not.toContain('canary');
  });

  it('hands each provider only its own variables', () => {
    const config = loadConfig({
      CHAPA_SECRET_KEY: 'CHASECK_TEST-abc',
      CHAPA_WEBHOOK_SECRET: 'hook-secret-value',
    });
    expect(config.providers.chapa).toEqual({
      CHAPA_SECRET_KEY: 'CHASECK_TEST-abc',
      CHAPA_WEBHOOK_SECRET: 'hook-secret-value',
    });
    expect(config.providers.stripe).toEqual({});
  });
});
