export {
  type AggregateOptions,
  type AggregateResult,
  aggregateDailyStats,
  aggregateDailyStatsJob,
  aggregateDaysMax,
  backfillDays,
  dashboardDays,
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
export { type TransactionFilter, type TransactionType, transactionTypes } from './transaction-query.ts';
export {
  exportOperatorTransactions,
  type LedgerTransferItem,
  listOperatorTransactions,
  pageRowsMax,
  type TransactionDetail,
  type TransactionExport,
  type TransactionItem,
  transactionDetail,
} from './transactions.ts';
