import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { isConfigured, modeOf, mpesaEnv, problems, readSettings } from './options.ts';

const complete = {
  MPESA_CONSUMER_KEY: 'consumer-key-value',
  MPESA_CONSUMER_SECRET: 'consumer-secret-value',
  MPESA_SHORTCODE: '174379',
  MPESA_PASSKEY: 'passkey-value',
  MPESA_CALLBACK_TOKEN: 'a'.repeat(40),
};

describe('mpesa options', () => {
  it('declares every variable as an optional, described MPESA_ string', () => {
    for (const [name, schema] of Object.entries(mpesaEnv.properties)) {
      expect(name).toMatch(/^MPESA_/);
      expect(mpesaEnv.required ?? []).not.toContain(name);
      expect((schema as { description?: string }).description).toBeTruthy();
    }
    expect(Value.Check(mpesaEnv, complete)).toBe(true);
    expect(Value.Check(mpesaEnv, { MPESA_CALLBACK_TOKEN: 'short' })).toBe(false);
  });

  it('finds no problem in complete or absent settings', () => {
    expect(problems({})).toEqual([]);
    expect(problems(complete)).toEqual([]);
    expect(problems({ ...complete, MPESA_INITIATOR_NAME: 'api', MPESA_SECURITY_CREDENTIAL: 'abc=' })).toEqual(
      [],
    );
  });

  it('names the missing variables of partial settings without echoing values', () => {
    const found = problems({ MPESA_CONSUMER_KEY: 'consumer-key-value' });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('MPESA_CONSUMER_SECRET');
    expect(found[0]).toContain('MPESA_CALLBACK_TOKEN');
    expect(found[0]).not.toContain('consumer-key-value');
    const b2c = problems({ ...complete, MPESA_INITIATOR_NAME: 'api' });
    expect(b2c.join(' ')).toContain('MPESA_SECURITY_CREDENTIAL');
    expect(problems({ ...complete, MPESA_CALLBACK_TOKEN: 'secret-but-short' }).join(' ')).not.toContain(
      'secret-but-short',
    );
    expect(problems({ ...complete, MPESA_API_BASE: 'ftp://x' })).toHaveLength(1);
  });

  it('is configured by the consumer key; production means live money and the production host', () => {
    expect(isConfigured({})).toBe(false);
    expect(isConfigured(complete)).toBe(true);
    expect(modeOf(complete)).toBe('test');
    expect(modeOf({ ...complete, MPESA_ENVIRONMENT: 'production' })).toBe('live');
    expect(readSettings(complete).apiBase).toBe('https://sandbox.safaricom.co.ke');
    expect(readSettings({ ...complete, MPESA_ENVIRONMENT: 'production' }).apiBase).toBe(
      'https://api.safaricom.co.ke',
    );
    expect(readSettings({ ...complete, MPESA_API_BASE: 'http://127.0.0.1:1/' }).apiBase).toBe(
      'http://127.0.0.1:1',
    );
    expect(readSettings(complete).b2c).toBeUndefined();
    const settings = readSettings({
      ...complete,
      MPESA_INITIATOR_NAME: 'api',
      MPESA_SECURITY_CREDENTIAL: 'abc=',
    });
    expect(settings.b2c?.shortcode).toBe('174379');
    expect(String(settings.passkey)).toBe('[redacted]');
    expect(() => readSettings({ MPESA_CONSUMER_KEY: 'k' })).toThrow(/MPESA_PASSKEY/);
  });
});
