/** Stripe as the registry knows it. */
import type { ProviderDefinition } from '../provider.ts';
import { StripeAdapter } from './adapter.ts';
import { isConfigured, modeOf, problems, stripeEnv } from './options.ts';
import { startStripeSandbox } from './sandbox.ts';

export const stripe: ProviderDefinition = {
  id: 'stripe',
  displayName: 'Stripe',
  env: stripeEnv,
  problems,
  isConfigured,
  modeOf,
  create: (context) => new StripeAdapter(context),
  startSandbox: (options) => startStripeSandbox(options),
};
