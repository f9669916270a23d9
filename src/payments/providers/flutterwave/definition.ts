/**
 * Flutterwave v3 (Nigeria, Kenya, Uganda, Rwanda, Tanzania …): hosted checkout collections, bank
 * payouts, refunds, bank lists and account lookup, as the registry knows it.
 */
import type { ProviderDefinition } from '../provider.ts';
import { FlutterwaveAdapter } from './adapter.ts';
import { flutterwaveEnv, isConfigured, modeOf, problems } from './options.ts';
import { startFlutterwaveSandbox } from './sandbox.ts';

export const flutterwave: ProviderDefinition = {
  id: 'flutterwave',
  displayName: 'Flutterwave',
  env: flutterwaveEnv,
  problems,
  isConfigured,
  modeOf,
  create: (context) => new FlutterwaveAdapter(context),
  startSandbox: (options) => startFlutterwaveSandbox(options),
};
