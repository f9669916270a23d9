export {
  type AdjustmentDirection,
  type AdjustmentRequest,
  type AdjustmentStatus,
  Adjustments,
  type AdjustmentView,
  adjustmentsAccountId,
} from './adjustments.ts';
export { type Claimed, HeldTransfers, type HeldTransfersOptions, type HeldView, handleOf } from './held.ts';
export {
  listTransactions,
  type TransactionQuery,
  type TransactionStatus,
  type TransactionView,
} from './history.ts';
export {
  type SendInput,
  TransferService,
  type TransferServiceOptions,
  type TransferView,
  transferView,
} from './transfers.ts';
export { Wallets, type WalletView, walletAccountId, walletView } from './wallets.ts';
