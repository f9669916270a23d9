/**
 * The one currency registry. `decimals` is the number of minor-unit digits: 12.50 ETB is 1250 minor
 * units. Crypto currencies use their on-chain precision capped where wallets display it (USDT 6 as
 * on Tron and Ethereum; BTC 8 satoshi; ETH 18 wei).
 */
export interface Currency {
  readonly code: string;
  readonly decimals: number;
  readonly name: string;
  readonly kind: 'fiat' | 'crypto';
}

const currencyList = [
  { code: 'ETB', decimals: 2, name: 'Ethiopian birr', kind: 'fiat' },
  { code: 'KES', decimals: 2, name: 'Kenyan shilling', kind: 'fiat' },
  { code: 'USD', decimals: 2, name: 'US dollar', kind: 'fiat' },
  { code: 'EUR', decimals: 2, name: 'Euro', kind: 'fiat' },
  { code: 'NGN', decimals: 2, name: 'Nigerian naira', kind: 'fiat' },
  { code: 'ZWG', decimals: 2, name: 'Zimbabwe gold', kind: 'fiat' },
  { code: 'TZS', decimals: 2, name: 'Tanzanian shilling', kind: 'fiat' },
  { code: 'UGX', decimals: 0, name: 'Ugandan shilling', kind: 'fiat' },
  { code: 'RWF', decimals: 0, name: 'Rwandan franc', kind: 'fiat' },
  { code: 'USDT', decimals: 6, name: 'Tether USD', kind: 'crypto' },
  { code: 'BTC', decimals: 8, name: 'Bitcoin', kind: 'crypto' },
  { code: 'ETH', decimals: 18, name: 'Ether', kind: 'crypto' },
] as const satisfies readonly Currency[];

export type CurrencyCode = (typeof currencyList)[number]['code'];

export const currencies: ReadonlyMap<string, Currency> = new Map(currencyList.map((c) => [c.code, c]));

export const currencyCodes: readonly CurrencyCode[] = currencyList.map((c) => c.code);

export function findCurrency(code: string): Currency | undefined {
  return currencies.get(code);
}
