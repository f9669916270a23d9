/**
 * Stripe's environment variables. A secret key (or restricted key) talks to the API; the webhook
 * signing secret of the dashboard endpoint verifies what Stripe sends back. One without the other is
 * a half-configured provider: payments would start but never settle (or settle unverified), so
 * start-up reports it.
 */
import { type Static, Type } from '@sinclair/typebox';
import type { ProviderMode } from '../provider.ts';

export const defaultApiBase = 'https://api.stripe.com';

export const stripeEnv = Type.Object({
  STRIPE_SECRET_KEY: Type.Optional(
    Type.String({
      minLength: 16,
      pattern: '^(sk|rk)_(test|live)_[A-Za-z0-9]+$',
      description:
        'Stripe secret key (sk_test_… or sk_live_…) or restricted key (rk_…) with write access to Checkout Sessions, PaymentIntents and Refunds. A test key means test mode.',
    }),
  ),
  STRIPE_WEBHOOK_SECRET: Type.Optional(
    Type.String({
      minLength: 10,
      pattern: '^whsec_[A-Za-z0-9+/=_-]+$',
      description:
        "Signing secret (whsec_…) of the dashboard webhook endpoint pointing at <PUBLIC_URL>/v1/webhooks/stripe; verifies each event's Stripe-Signature.",
    }),
  ),
  STRIPE_API_BASE: Type.Optional(
    Type.String({
      pattern: '^https?://[^\\s/]+(/[^\\s]*)?$',
      description: `Stripe API base URL (default ${defaultApiBase}); point it at a local Stripe sandbox or mock.`,
    }),
  ),
});

export type StripeEnv = Static<typeof stripeEnv>;

const secretKeyPattern = /^(sk|rk)_(test|live)_[A-Za-z0-9]+$/;
const webhookSecretPattern = /^whsec_[A-Za-z0-9+/=_-]+$/;

/** What is wrong with the settings, naming variables and never echoing their values. */
export function problems(env: Readonly<Record<string, string>>): string[] {
  const found: string[] = [];
  const key = env.STRIPE_SECRET_KEY;
  const webhookSecret = env.STRIPE_WEBHOOK_SECRET;
  if (key && !webhookSecret) {
    found.push(
      'STRIPE_WEBHOOK_SECRET is required when STRIPE_SECRET_KEY is set: Stripe events cannot be verified.',
    );
  }
  if (webhookSecret && !key) {
    found.push(
      'STRIPE_SECRET_KEY is required when STRIPE_WEBHOOK_SECRET is set: payments cannot be created.',
    );
  }
  if (key && !secretKeyPattern.test(key)) {
    found.push(
      key.startsWith('pk_')
        ? 'STRIPE_SECRET_KEY holds a publishable key (pk_…): a secret key (sk_…) or restricted key (rk_…) is needed.'
        : 'STRIPE_SECRET_KEY must be a Stripe secret key (sk_test_…, sk_live_…) or restricted key (rk_test_…, rk_live_…).',
    );
  }
  if (webhookSecret && !webhookSecretPattern.test(webhookSecret)) {
    found.push('STRIPE_WEBHOOK_SECRET must be a webhook signing secret starting with whsec_.');
  }
  const base = env.STRIPE_API_BASE;
  if (base !== undefined && !isHttpUrl(base)) {
    found.push('STRIPE_API_BASE must be an http(s) URL without query or fragment.');
  }
  return found;
}

export function isConfigured(env: Readonly<Record<string, string>>): boolean {
  return Boolean(env.STRIPE_SECRET_KEY);
}

/** Stripe keys say their mode: `sk_live_`/`rk_live_` move real money, everything else is test mode. */
export function modeOf(env: Readonly<Record<string, string>>): ProviderMode {
  return /^(sk|rk)_live_/.test(env.STRIPE_SECRET_KEY ?? '') ? 'live' : 'test';
}

/** The API base without a trailing slash, so paths join with one. */
export function apiBaseOf(env: Readonly<Record<string, string>>): string {
  return (env.STRIPE_API_BASE || defaultApiBase).replace(/\/+$/, '');
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.search === '' && url.hash === '';
  } catch {
    return false;
  }
}
