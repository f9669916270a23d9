import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { apiBaseOf, flutterwaveEnv, isConfigured, modeOf, problems } from './options.ts';

const testKey = 'FLWSECK_TEST-0123456789abcdef0123456789abcdef-X';
const liveKey = 'FLWSECK-0123456789abcdef0123456789abcdef-X';
const hash = 'a-long-random-secret-hash-value';

describe('flutterwave options', () => {
  it('names every variable FLUTTERWAVE_… and leaves each optional with a description', () => {
    for (const [name, schema] of Object.entries(flutterwaveEnv.properties)) {
      expect(name).toMatch(/^FLUTTERWAVE_/);
      expect(typeof (schema as { description?: unknown }).description).toBe('string');
    }
    expect(Value.Check(flutterwaveEnv, {})).toBe(true);
    expect(Value.Check(flutterwaveEnv, { FLUTTERWAVE_SECRET_KEY: 'sk_test_x' })).toBe(false);
  });

  it('is usable with both secrets or none, and says which one is missing without echoing values', () => {
    expect(problems({})).toEqual([]);
    expect(problems({ FLUTTERWAVE_SECRET_KEY: testKey, FLUTTERWAVE_WEBHOOK_HASH: hash })).toEqual([]);
    const keyOnly = problems({ FLUTTERWAVE_SECRET_KEY: testKey });
    expect(keyOnly.join(' ')).toMatch(/FLUTTERWAVE_WEBHOOK_HASH/);
    expect(keyOnly.join(' ')).not.toContain(testKey);
    const hashOnly = problems({ FLUTTERWAVE_WEBHOOK_HASH: hash });
    expect(hashOnly.join(' ')).toMatch(/FLUTTERWAVE_SECRET_KEY/);
    expect(hashOnly.join(' ')).not.toContain(hash);
  });

  it('refuses a key that is not a Flutterwave secret key, and a short hash', () => {
    const found = problems({
      FLUTTERWAVE_SECRET_KEY: 'FLWPUBK_TEST-abc-X',
      FLUTTERWAVE_WEBHOOK_HASH: 'short',
    });
    expect(found.some((p) => p.includes('does not look like'))).toBe(true);
    expect(found.some((p) => p.includes('at least 16'))).toBe(true);
    expect(found.join(' ')).not.toContain('FLWPUBK_TEST-abc-X');
  });

  it('keeps a live key off plain http except on this machine', () => {
    const live = { FLUTTERWAVE_SECRET_KEY: liveKey, FLUTTERWAVE_WEBHOOK_HASH: hash };
    expect(problems({ ...live, FLUTTERWAVE_API_BASE: 'http://api.example.com' })).toHaveLength(1);
    expect(problems({ ...live, FLUTTERWAVE_API_BASE: 'http://127.0.0.1:9999' })).toEqual([]);
    expect(problems({ ...live, FLUTTERWAVE_API_BASE: 'not a url' })).toEqual([
      'FLUTTERWAVE_API_BASE is not a URL.',
    ]);
  });

  it('decides the mode from the key and configuration from its presence', () => {
    expect(modeOf({ FLUTTERWAVE_SECRET_KEY: testKey })).toBe('test');
    expect(modeOf({ FLUTTERWAVE_SECRET_KEY: liveKey })).toBe('live');
    expect(modeOf({})).toBe('test');
    expect(isConfigured({})).toBe(false);
    expect(isConfigured({ FLUTTERWAVE_SECRET_KEY: testKey })).toBe(true);
  });

  it('defaults the API base and drops trailing slashes', () => {
    expect(apiBaseOf({})).toBe('https://api.flutterwave.com');
    expect(apiBaseOf({ FLUTTERWAVE_API_BASE: 'http://127.0.0.1:4000/' })).toBe('http://127.0.0.1:4000');
    expect(apiBaseOf({ FLUTTERWAVE_API_BASE: 'https://api.flutterwave.com/v3/' })).toBe(
      'https://api.flutterwave.com',
    );
  });
});
