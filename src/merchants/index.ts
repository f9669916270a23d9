export {
  type ApiKeyView,
  type KeyMode,
  type Merchant,
  type MerchantPrincipal,
  Merchants,
  merchantAccountId,
} from './merchants.ts';
