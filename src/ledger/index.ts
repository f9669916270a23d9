export {
  type AccountResult,
  type AccountResultCode,
  accountResultCodes,
  availableBalance,
  setOwnerDebitsFrozen,
} from './accounts.ts';
export type { BatchStats } from './engine.ts';
export { Ledger, type LedgerOptions, type ReverseInput } from './ledger.ts';
export { expiryTransferId } from './rules.ts';
export * from './types.ts';
export type { Violation } from './verify.ts';
