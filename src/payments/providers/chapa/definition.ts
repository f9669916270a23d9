/** Chapa as the registry knows it (kept apart from index.ts so the driver can import it without a cycle). */
import type { ProviderDefinition } from '../provider.ts';
import { ChapaProvider } from './adapter.ts';
import { chapaEnv, isConfigured, modeOf, problems } from './options.ts';
import { startChapaSandbox } from './sandbox.ts';

export const chapa: ProviderDefinition = {
  id: 'chapa',
  displayName: 'Chapa',
  env: chapaEnv,
  problems,
  isConfigured,
  modeOf,
  create: (context) => new ChapaProvider(context),
  startSandbox: (options) => startChapaSandbox(options),
};
