/** M-Pesa Daraja: the provider definition, its conformance driver and its sandbox. */
export { mpesaConformanceDriver } from './conformance.ts';
export { mpesa } from './definition.ts';
export { type MpesaSandbox, startMpesaSandbox } from './sandbox.ts';
