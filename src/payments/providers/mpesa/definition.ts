/** M-Pesa Daraja (Safaricom, Kenya): STK push collections and B2C payouts in KES. */
import type { ProviderDefinition } from '../provider.ts';
import { MpesaAdapter } from './adapter.ts';
import { isConfigured, modeOf, mpesaEnv, problems } from './options.ts';
import { startMpesaSandbox } from './sandbox.ts';

export const mpesa: ProviderDefinition = {
  id: 'mpesa',
  displayName: 'M-Pesa',
  env: mpesaEnv,
  problems,
  isConfigured,
  modeOf,
  create: (context) => new MpesaAdapter(context),
  startSandbox: (options) => startMpesaSandbox(options),
};
