/**
 * Chapa's settings: one secret key (its `CHASECK_TEST-` prefix says test mode), the webhook secret
 * set in the dashboard, and an API base so the adapter can talk to our sandbox instead.
 */
import { type Static, Type } from '@sinclair/typebox';
import type { ProviderMode } from '../provider.ts';

export const chapaProductionBase = 'https://api.chapa.co';
/** Chapa rejects a checkout title longer than this. */
export const checkoutTitleLengthMax = 16;

export const chapaEnv = Type.Object({
  CHAPA_SECRET_KEY: Type.Optional(
    Type.String({
      minLength: 8,
      description:
        'Chapa secret key (CHASECK_TEST-… for test mode, CHASECK-… for live), sent as a Bearer token.',
    }),
  ),
  CHAPA_WEBHOOK_SECRET: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'The webhook secret hash set in the Chapa dashboard; verifies x-chapa-signature on webhooks.',
    }),
  ),
  CHAPA_API_BASE: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description: `Chapa API base URL (default ${chapaProductionBase}); point it at the local sandbox to test.`,
    }),
  ),
  CHAPA_CHECKOUT_TITLE: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: checkoutTitleLengthMax,
      description: 'Title shown on the Chapa hosted checkout (at most 16 characters; default "ChatPay").',
    }),
  ),
});
export type ChapaEnv = Static<typeof chapaEnv>;

const testKeyPrefix = 'CHASECK_TEST-';
const keyPrefix = 'CHASECK';

export function isConfigured(env: Readonly<Record<string, string>>): boolean {
  return Boolean(env.CHAPA_SECRET_KEY);
}

/** Test keys carry `CHASECK_TEST-`; with no key at all nothing real can move, so that is test too. */
export function modeOf(env: Readonly<Record<string, string>>): ProviderMode {
  const key = env.CHAPA_SECRET_KEY;
  if (!key) return 'test';
  return key.startsWith(testKeyPrefix) ? 'test' : 'live';
}

/** Messages name the variables, never their values. */
export function problems(env: Readonly<Record<string, string>>): string[] {
  const found: string[] = [];
  const key = env.CHAPA_SECRET_KEY;
  const webhookSecret = env.CHAPA_WEBHOOK_SECRET;
  if (key && !webhookSecret) {
    found.push(
      'CHAPA_SECRET_KEY is set but CHAPA_WEBHOOK_SECRET is not: Chapa webhooks could not be verified.',
    );
  }
  if (webhookSecret && !key) {
    found.push('CHAPA_WEBHOOK_SECRET is set but CHAPA_SECRET_KEY is not: set both or neither.');
  }
  if (key && !key.startsWith(keyPrefix)) {
    found.push(
      'CHAPA_SECRET_KEY does not look like a Chapa secret key (expected CHASECK_TEST-… or CHASECK-…).',
    );
  }
  const base = env.CHAPA_API_BASE;
  if (base !== undefined && !isHttpUrl(base)) {
    found.push('CHAPA_API_BASE must be an http(s) URL.');
  }
  const title = env.CHAPA_CHECKOUT_TITLE;
  if (title !== undefined && title.length > checkoutTitleLengthMax) {
    found.push(`CHAPA_CHECKOUT_TITLE is longer than Chapa's ${checkoutTitleLengthMax} characters.`);
  }
  return found;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
