/**
 * M-Pesa's environment variables. Every one is optional: a deployment without M-Pesa sets none. The
 * values are read once into `MpesaSettings`, where credentials are `Secret`s so they never print.
 */
import { Type } from '@sinclair/typebox';
import { Secret } from '../../../shared/secret.ts';
import type { ProviderMode } from '../provider.ts';

export const sandboxApiBase = 'https://sandbox.safaricom.co.ke';
export const productionApiBase = 'https://api.safaricom.co.ke';
const callbackTokenLengthMin = 32;

export const mpesaEnv = Type.Object({
  MPESA_CONSUMER_KEY: Type.Optional(
    Type.String({ minLength: 1, description: 'Daraja app consumer key (OAuth client id).' }),
  ),
  MPESA_CONSUMER_SECRET: Type.Optional(
    Type.String({ minLength: 1, description: 'Daraja app consumer secret (OAuth client secret).' }),
  ),
  MPESA_SHORTCODE: Type.Optional(
    Type.String({
      pattern: '^[0-9]{5,7}$',
      description: 'Paybill or till shortcode that receives STK push payments (sandbox: 174379).',
    }),
  ),
  MPESA_PASSKEY: Type.Optional(
    Type.String({ minLength: 1, description: 'Lipa na M-Pesa Online passkey of the shortcode.' }),
  ),
  MPESA_TRANSACTION_TYPE: Type.Optional(
    Type.String({
      pattern: '^(CustomerPayBillOnline|CustomerBuyGoodsOnline)$',
      description:
        'STK push type: CustomerPayBillOnline (default, paybill) or CustomerBuyGoodsOnline (till).',
    }),
  ),
  MPESA_B2C_SHORTCODE: Type.Optional(
    Type.String({
      pattern: '^[0-9]{5,7}$',
      description: 'Shortcode that pays out (B2C PartyA). Unset: MPESA_SHORTCODE.',
    }),
  ),
  MPESA_INITIATOR_NAME: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'B2C API operator (initiator) user name from the M-Pesa portal.',
    }),
  ),
  MPESA_SECURITY_CREDENTIAL: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9+/]+={0,2}$',
      description:
        "The initiator password RSA-encrypted with Safaricom's certificate, base64, as the Daraja portal generates it.",
    }),
  ),
  MPESA_CALLBACK_TOKEN: Type.Optional(
    Type.String({
      pattern: `^[A-Za-z0-9_-]{${callbackTokenLengthMin},}$`,
      description:
        'Our secret (>= 32 URL-safe chars) appended to callback URLs: Daraja callbacks are not signed.',
    }),
  ),
  MPESA_RESULT_URL: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description:
        'Our M-Pesa webhook URL (<PUBLIC_URL>/v1/webhooks/mpesa) for Transaction Status results. Unset: the last callback URL this process used.',
    }),
  ),
  MPESA_ENVIRONMENT: Type.Optional(
    Type.String({
      pattern: '^(sandbox|production)$',
      description: 'sandbox (default: test money) or production (live money).',
    }),
  ),
  MPESA_API_BASE: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description: `Daraja base URL. Default ${sandboxApiBase} (sandbox) or ${productionApiBase} (production); point it at a local sandbox in tests.`,
    }),
  ),
});

type Env = Readonly<Record<string, string>>;

const stkVars = [
  'MPESA_CONSUMER_KEY',
  'MPESA_CONSUMER_SECRET',
  'MPESA_SHORTCODE',
  'MPESA_PASSKEY',
  'MPESA_CALLBACK_TOKEN',
];
const b2cVars = ['MPESA_INITIATOR_NAME', 'MPESA_SECURITY_CREDENTIAL'];

/** Partial settings, named by variable, never echoing a value. */
export function problems(env: Env): string[] {
  const found: string[] = [];
  const missing = (names: readonly string[]) => names.filter((name) => !env[name]);
  const stkMissing = missing(stkVars);
  if (stkMissing.length > 0 && stkMissing.length < stkVars.length) {
    found.push(
      `M-Pesa is partly configured: set ${stkMissing.join(', ')} too (or none of ${stkVars.join(', ')}).`,
    );
  }
  const b2cMissing = missing(b2cVars);
  if (b2cMissing.length === 1) {
    found.push(
      `M-Pesa payouts are partly configured: set ${b2cMissing.join(', ')} too (or neither of ${b2cVars.join(', ')}).`,
    );
  }
  if (b2cMissing.length < b2cVars.length && stkMissing.length === stkVars.length) {
    found.push(`M-Pesa payouts need the M-Pesa credentials: set ${stkVars.join(', ')}.`);
  }
  const token = env.MPESA_CALLBACK_TOKEN;
  if (token !== undefined && !new RegExp(`^[A-Za-z0-9_-]{${callbackTokenLengthMin},}$`).test(token)) {
    found.push(
      `MPESA_CALLBACK_TOKEN must be at least ${callbackTokenLengthMin} characters of A-Z, a-z, 0-9, _ or -.`,
    );
  }
  const environment = env.MPESA_ENVIRONMENT;
  if (environment !== undefined && environment !== 'sandbox' && environment !== 'production') {
    found.push('MPESA_ENVIRONMENT must be sandbox or production.');
  }
  for (const name of ['MPESA_API_BASE', 'MPESA_RESULT_URL']) {
    const value = env[name];
    if (value !== undefined && !isHttpUrl(value)) found.push(`${name} must be an http(s) URL.`);
  }
  return found;
}

export function isConfigured(env: Env): boolean {
  return Boolean(env.MPESA_CONSUMER_KEY);
}

export function modeOf(env: Env): ProviderMode {
  return env.MPESA_ENVIRONMENT === 'production' ? 'live' : 'test';
}

export interface MpesaSettings {
  readonly apiBase: string;
  readonly consumerKey: Secret;
  readonly consumerSecret: Secret;
  readonly shortcode: string;
  readonly passkey: Secret;
  readonly transactionType: 'CustomerPayBillOnline' | 'CustomerBuyGoodsOnline';
  readonly callbackToken: Secret;
  readonly resultUrl: string | undefined;
  /** Present when both B2C variables are set. */
  readonly b2c:
    | { readonly shortcode: string; readonly initiatorName: string; readonly securityCredential: Secret }
    | undefined;
}

/** The settings an adapter runs with; throws on unusable ones (start-up reports `problems` first). */
export function readSettings(env: Env): MpesaSettings {
  const issues = problems(env);
  const required = (name: string): string => {
    const value = env[name];
    if (!value) issues.push(`${name} is not set.`);
    return value ?? '';
  };
  const consumerKey = required('MPESA_CONSUMER_KEY');
  const consumerSecret = required('MPESA_CONSUMER_SECRET');
  const shortcode = required('MPESA_SHORTCODE');
  const passkey = required('MPESA_PASSKEY');
  const callbackToken = required('MPESA_CALLBACK_TOKEN');
  if (issues.length > 0) throw new Error(`mpesa: unusable settings: ${[...new Set(issues)].join(' ')}`);
  const initiatorName = env.MPESA_INITIATOR_NAME;
  const securityCredential = env.MPESA_SECURITY_CREDENTIAL;
  return {
    apiBase: (env.MPESA_API_BASE ?? (modeOf(env) === 'live' ? productionApiBase : sandboxApiBase)).replace(
      /\/+$/,
      '',
    ),
    consumerKey: new Secret(consumerKey),
    consumerSecret: new Secret(consumerSecret),
    shortcode,
    passkey: new Secret(passkey),
    transactionType:
      env.MPESA_TRANSACTION_TYPE === 'CustomerBuyGoodsOnline'
        ? 'CustomerBuyGoodsOnline'
        : 'CustomerPayBillOnline',
    callbackToken: new Secret(callbackToken),
    resultUrl: env.MPESA_RESULT_URL,
    b2c:
      initiatorName && securityCredential
        ? {
            shortcode: env.MPESA_B2C_SHORTCODE ?? shortcode,
            initiatorName,
            securityCredential: new Secret(securityCredential),
          }
        : undefined,
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
