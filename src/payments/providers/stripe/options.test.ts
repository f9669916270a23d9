import { describe, expect, it } from 'vitest';
import { apiBaseOf, isConfigured, modeOf, problems, stripeEnv } from './options.ts';

describe('stripe options', () => {
  it('reports half-configured and mistyped settings without echoing values', () => {
    expect(problems({})).toEqual([]);
    expect(problems({ STRIPE_SECRET_KEY: 'sk_test_abc123', STRIPE_WEBHOOK_SECRET: 'whsec_abc' })).toEqual([]);
    expect(problems({ STRIPE_SECRET_KEY: 'sk_test_abc123' }).join()).toMatch(
      /STRIPE_WEBHOOK_SECRET is required/,
    );
    expect(problems({ STRIPE_WEBHOOK_SECRET: 'whsec_abc' }).join()).toMatch(/STRIPE_SECRET_KEY is required/);
    const wrong = problems({
      STRIPE_SECRET_KEY: 'pk_test_canary42',
      STRIPE_WEBHOOK_SECRET: 'sec_canary43',
    }).join('\n');
    expect(wrong).toMatch(/publishable key/);
    expect(wrong).toMatch(/whsec_/);
    expect(wrong).not.toContain('canary');
    expect(problems({ STRIPE_API_BASE: 'ftp://x' }).join()).toMatch(/STRIPE_API_BASE/);
  });

  it('derives mode from the key prefix', () => {
    expect(modeOf({ STRIPE_SECRET_KEY: 'sk_live_x' })).toBe('live');
    expect(modeOf({ STRIPE_SECRET_KEY: 'rk_live_x' })).toBe('live');
    expect(modeOf({ STRIPE_SECRET_KEY: 'sk_test_x' })).toBe('test');
    expect(modeOf({ STRIPE_SECRET_KEY: 'rk_test_x' })).toBe('test');
    expect(isConfigured({})).toBe(false);
    expect(isConfigured({ STRIPE_SECRET_KEY: 'sk_test_x' })).toBe(true);
  });
});

describe('stripe env schema', () => {
  it('names every variable STRIPE_… with a description, and defaults the API base', () => {
    for (const [name, schema] of Object.entries(stripeEnv.properties)) {
      expect(name).toMatch(/^STRIPE_/);
      expect((schema as { description?: string }).description?.length).toBeGreaterThan(10);
    }
    expect(apiBaseOf({})).toBe('https://api.stripe.com');
    expect(apiBaseOf({ STRIPE_API_BASE: 'http://127.0.0.1:4000/' })).toBe('http://127.0.0.1:4000');
  });
});
