export {
  type ApiKeyView,
  type KeyMode,
  type Merchant,
  type MerchantPrincipal,
  Merchants,
  merchantAccountId,
} from './merchants.ts';
export {
  type DeliveryView,
  deliveryAttemptsMax,
  type EndpointView,
  enqueueMerchantEvent,
  type MerchantEventType,
  type MerchantWebhookOptions,
  MerchantWebhooks,
  merchantEventTypes,
  signDelivery,
} from './webhooks.ts';
