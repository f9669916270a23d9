import { chapaConformanceDriver } from '../../src/payments/providers/chapa/index.ts';
import type { ConformanceDriver } from '../../src/payments/providers/conformance/driver.ts';
import { flutterwaveConformanceDriver } from '../../src/payments/providers/flutterwave/index.ts';
import { mpesaConformanceDriver } from '../../src/payments/providers/mpesa/index.ts';
import { stripeConformanceDriver } from '../../src/payments/providers/stripe/index.ts';

/** Every provider's conformance driver: the engine-level suite runs over each. */
export const conformanceDrivers: readonly ConformanceDriver[] = [
  mpesaConformanceDriver,
  chapaConformanceDriver,
  flutterwaveConformanceDriver,
  stripeConformanceDriver,
];
