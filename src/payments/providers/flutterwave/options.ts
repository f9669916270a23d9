/**
 * Flutterwave's settings: the secret key the API takes as a bearer token, the "secret hash" set in
 * the dashboard that every webhook carries, and where the API lives (our sandbox in tests).
 */
import { Type } from '@sinclair/typebox';
import type { ProviderMode } from '../provider.ts';

export const defaultApiBase = 'https://api.flutterwave.com';

/** Live keys start `FLWSECK-`, test keys `FLWSECK_TEST-`. */
const secretKeyPattern = '^FLWSECK(_TEST)?-\\S+$';
const testKeyPrefix = 'FLWSECK_TEST-';
/** The hash is the only proof a webhook came from Flutterwave: shorter ones can be guessed. */
export const webhookHashLengthMin = 16;

export const flutterwaveEnv = Type.Object({
  FLUTTERWAVE_SECRET_KEY: Type.Optional(
    Type.String({
      pattern: secretKeyPattern,
      description: 'Flutterwave v3 secret key (FLWSECK_TEST-… for test mode, FLWSECK-… for live).',
    }),
  ),
  FLUTTERWAVE_WEBHOOK_HASH: Type.Optional(
    Type.String({
      minLength: webhookHashLengthMin,
      description:
        'The "secret hash" set in the Flutterwave dashboard webhook settings; webhooks carry it in verif-hash. Use a long random value.',
    }),
  ),
  FLUTTERWAVE_API_BASE: Type.Optional(
    Type.String({
      pattern: '^https?://[^\\s/]+',
      description: `Flutterwave API origin, without /v3 (default ${defaultApiBase}); point it at a sandbox in tests.`,
    }),
  ),
});

type Env = Readonly<Record<string, string>>;

function present(env: Env, name: string): boolean {
  const value = env[name];
  return value !== undefined && value.length > 0;
}

export function isConfigured(env: Env): boolean {
  return present(env, 'FLUTTERWAVE_SECRET_KEY');
}

export function modeOf(env: Env): ProviderMode {
  const key = env.FLUTTERWAVE_SECRET_KEY;
  // No key at all is the sandbox: test money.
  if (key === undefined || key.startsWith(testKeyPrefix)) return 'test';
  return 'live';
}

/** Problems with the settings, naming variables and never echoing their values. */
export function problems(env: Env): string[] {
  const found: string[] = [];
  const hasKey = present(env, 'FLUTTERWAVE_SECRET_KEY');
  const hasHash = present(env, 'FLUTTERWAVE_WEBHOOK_HASH');
  if (hasKey && !hasHash) {
    found.push(
      'FLUTTERWAVE_SECRET_KEY is set but FLUTTERWAVE_WEBHOOK_HASH is not: webhooks could not be verified.',
    );
  }
  if (hasHash && !hasKey) {
    found.push('FLUTTERWAVE_WEBHOOK_HASH is set but FLUTTERWAVE_SECRET_KEY is not: set both or neither.');
  }
  if (hasKey && !new RegExp(secretKeyPattern).test(env.FLUTTERWAVE_SECRET_KEY ?? '')) {
    found.push(
      'FLUTTERWAVE_SECRET_KEY does not look like a Flutterwave secret key (FLWSECK_TEST-… or FLWSECK-…).',
    );
  }
  if (hasHash && (env.FLUTTERWAVE_WEBHOOK_HASH ?? '').length < webhookHashLengthMin) {
    found.push(`FLUTTERWAVE_WEBHOOK_HASH must be at least ${webhookHashLengthMin} characters.`);
  }
  found.push(...apiBaseProblems(env, hasKey));
  return found;
}

function apiBaseProblems(env: Env, hasKey: boolean): string[] {
  const base = env.FLUTTERWAVE_API_BASE;
  if (base === undefined || base.length === 0) return [];
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return ['FLUTTERWAVE_API_BASE is not a URL.'];
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return ['FLUTTERWAVE_API_BASE must be http(s).'];
  // A live key must never travel in clear text; plain http is for a sandbox on this machine.
  const local = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (hasKey && modeOf(env) === 'live' && url.protocol === 'http:' && !local) {
    return ['FLUTTERWAVE_API_BASE must use https with a live FLUTTERWAVE_SECRET_KEY.'];
  }
  return [];
}

/** The API origin without a trailing slash. */
export function apiBaseOf(env: Env): string {
  const base = env.FLUTTERWAVE_API_BASE;
  // Forgive a base given with the version path: the adapter adds /v3 itself.
  return (base === undefined || base.length === 0 ? defaultApiBase : base)
    .replace(/\/+$/, '')
    .replace(/\/v3$/, '');
}
