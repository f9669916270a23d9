/**
 * Every provider ChatPay can use: one literal. Adding a provider is a folder and a line here.
 */
import { chapa } from './chapa/index.ts';
import { flutterwave } from './flutterwave/index.ts';
import { mpesa } from './mpesa/index.ts';
import type { ProviderDefinition, ProviderId } from './provider.ts';
import { stripe } from './stripe/index.ts';

export const providerRegistry: Readonly<Record<ProviderId, ProviderDefinition>> = {
  mpesa,
  chapa,
  flutterwave,
  stripe,
};

export const providerDefinitions: readonly ProviderDefinition[] = Object.values(providerRegistry);
