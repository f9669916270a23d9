export { clearingAccountId, feesAccountId, PlatformAccounts } from './accounts.ts';
export type { CollectionInput, CollectionOwner } from './collections.ts';
export type { PaymentSettings, PaymentsContext } from './context.ts';
export { type Direction, FeeSchedule, parseFeeSchedule } from './fees.ts';
export { type GatewayEntry, ProviderGateway, type ProviderHealth } from './gateway.ts';
export { type KycLimitRule, KycLimits, Limits, parseKycLimits, parseLimits } from './limits.ts';
export {
  buildPayments,
  Payments,
  type PaymentsOptions,
  type ProviderView,
  type QuoteView,
} from './payments.ts';
export { type ProviderSetup, setUpProviders } from './providers/setup.ts';
export { type PaymentKind, type PaymentStatus, type PaymentView, paymentStatuses } from './records.ts';
export { transferIds } from './settle.ts';
export type { DestinationInput, WithdrawalInput } from './withdrawals.ts';
