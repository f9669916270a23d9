/** Flutterwave: the registry's definition and the conformance driver. */
export { flutterwaveConformanceDriver } from './conformance.ts';
export { flutterwave } from './definition.ts';
