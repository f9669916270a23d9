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
