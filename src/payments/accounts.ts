/**
 * The platform's ledger accounts for payments. A provider's clearing account stands for the money
 * the provider holds for us: a deposit debits it and credits the wallet, a payout's hold moves money
 * from the wallet into it. Fees collect per mode and currency. None of them has balance limits: a
 * clearing account's balance is a claim on (or a debt to) the provider, reconciled with its reports.
 */
import type { Ledger } from '../ledger/index.ts';
import type { ProviderId, ProviderMode } from './providers/provider.ts';

export function clearingAccountId(provider: ProviderId, mode: ProviderMode, currency: string): string {
  return `clr_${provider}_${mode}_${currency}`;
}

export function feesAccountId(mode: ProviderMode, currency: string): string {
  return `fees_${mode}_${currency}`;
}

/** Creates the platform accounts a payment needs, once per process per account. */
export class PlatformAccounts {
  readonly #ledger: Ledger;
  readonly #known = new Set<string>();

  constructor(ledger: Ledger) {
    this.#ledger = ledger;
  }

  async ensure(provider: ProviderId, mode: ProviderMode, currency: string): Promise<void> {
    const clearing = clearingAccountId(provider, mode, currency);
    const fees = feesAccountId(mode, currency);
    if (this.#known.has(clearing) && this.#known.has(fees)) return;
    const results = await this.#ledger.createAccounts([
      { id: clearing, currency, kind: 'provider_clearing', metadata: { provider, mode } },
      { id: fees, currency, kind: 'fees', metadata: { mode } },
    ]);
    for (const r of results) {
      if (r.result !== 'ok' && r.result !== 'exists') throw new Error(`account ${r.id}: ${r.result}`);
      this.#known.add(r.id);
    }
  }
}
