export { StripeAdapter, stripeCapabilities } from './adapter.ts';
export { stripeConformanceDriver } from './conformance.ts';
export { stripe } from './definition.ts';
export { type StripeSandbox, startStripeSandbox } from './sandbox.ts';
