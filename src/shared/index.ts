export { assert } from './assert.ts';
export {
  type Currency,
  type CurrencyCode,
  currencies,
  currencyCodes,
  findCurrency,
} from './currencies.ts';
export {
  ChatPayError,
  type ChatPayErrorOptions,
  type ErrorCode,
  type ErrorSpec,
  type ErrorType,
  errorCatalogue,
  isChatPayError,
} from './errors.ts';
export { newId } from './ids.ts';
export { createLogger, type Logger, redactPaths } from './logger.ts';
export {
  formatAmount,
  minorUnitsMax,
  type ParseAmountOptions,
  parseAmount,
  requireCurrency,
} from './money.ts';
export { Secret } from './secret.ts';
