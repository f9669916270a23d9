export {
  type AggregateOptions,
  type AggregateResult,
  aggregateDailyStats,
  aggregateDailyStatsJob,
} from './daily-stats.ts';
export { type Dashboard, type DashboardKind, dashboard } from './dashboard.ts';
export {
  type ExportFormat,
  type ExportMeta,
  exportContentTypes,
  exportFilename,
  exportFormats,
  exportRowsMax,
  exportStream,
} from './exports.ts';
export { type CreatedRange, createdRange } from './time-range.ts';
export { type TransactionFilter, type TransactionType, transactionTypes } from './transaction-query.ts';
export {
  exportOperatorTransactions,
  type LedgerTransferItem,
  listOperatorTransactions,
  type TransactionDetail,
  type TransactionExport,
  type TransactionItem,
  transactionDetail,
} from './transactions.ts';
