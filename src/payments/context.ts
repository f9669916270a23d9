import type { Pool } from '../db/pool.ts';
import type { Ledger } from '../ledger/index.ts';
import type { EventBus } from '../realtime/index.ts';
import type { Logger } from '../shared/logger.ts';
import type { Wallets } from '../wallets/index.ts';
import type { PlatformAccounts } from './accounts.ts';
import type { FeeSchedule } from './fees.ts';
import type { ProviderGateway } from './gateway.ts';
import type { InboxWriter } from './inbox-writer.ts';
import type { Limits } from './limits.ts';
import type { ProviderId, ProviderMode } from './providers/provider.ts';

export interface PaymentSettings {
  /** A pending payment is first asked about this long after it was created. */
  readonly reconcileAfterSeconds: number;
  /** A collection the provider still calls pending this long after creation ends `expired`. */
  readonly expireAfterSeconds: number;
  /** Per currency: withdrawals above this (minor units) wait for an operator's approval. */
  readonly approvalAbove: ReadonlyMap<string, bigint>;
  /**
   * The mode of the money in people's wallets (`WALLETS_MODE`). Their deposits, withdrawals and quotes
   * use only providers in this mode: a sandbox's money must never leave through a real provider, nor
   * test-mode credits mix with real ones. Merchants keep one balance per mode, chosen by their key.
   */
  readonly walletsMode: ProviderMode;
}

/** What the payment modules share. */
export interface PaymentsContext {
  readonly pool: Pool;
  readonly ledger: Ledger;
  readonly wallets: Wallets;
  readonly accounts: PlatformAccounts;
  readonly gateway: ProviderGateway;
  readonly fees: FeeSchedule;
  readonly limits: Limits;
  /** Stores verified webhooks with group commit. */
  readonly inbox: InboxWriter;
  readonly events: EventBus | undefined;
  readonly logger: Logger;
  readonly settings: PaymentSettings;
  /** Our inbound webhook URL for a provider (`<PUBLIC_URL>/v1/webhooks/<provider>`). */
  webhookUrl(provider: ProviderId): string;
}
