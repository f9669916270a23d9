/**
 * Chapa (Ethiopia): hosted checkout in birr or dollars (telebirr, M-Pesa, CBE Birr, cards, bank
 * transfer), transfers to banks and wallets, refunds, and its local sandbox.
 */
export { chapaConformanceDriver } from './conformance.ts';
export { chapa } from './definition.ts';
export { chapaTestAccounts, chapaTestInputs } from './sandbox-data.ts';
