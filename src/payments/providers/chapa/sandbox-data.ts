/**
 * What the Chapa sandbox knows: its bank list and the test inputs that decide outcomes.
 *
 * Checkout inputs (typed on the hosted checkout page, or passed to `control.pay`):
 * - cards from Chapa's test-card page: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is a
 *   generic decline, 4000 0000 0000 9995 fails for insufficient funds (Chapa v1 reports both
 *   failures only as `failed`);
 * - mobile money (ours; Chapa documents test numbers without outcomes): 0900123456 (telebirr) and
 *   0700123456 (M-Pesa) succeed; 0900000000 leaves the payment pending for ever, with no webhook
 *   (the payer never answers the USSD prompt);
 * - `cancel` presses the page's Cancel button: `charge.cancelled`.
 *
 * Transfer test account numbers (ours): 1000000000002 fails, 1000000000003 stays pending (awaiting
 * approval) with no webhook, 1000000000009 is refused at once for "Insufficient Balance"; any
 * other account of the right length succeeds.
 */
import type { ChapaBank } from './wire.ts';

export const chapaTestInputs = {
  cardSuccess: '4242424242424242',
  cardDeclined: '4000000000000002',
  cardInsufficientFunds: '4000000000009995',
  telebirrSuccess: '0900123456',
  mpesaSuccess: '0700123456',
  mobilePendingForever: '0900000000',
  cancel: 'cancel',
} as const;

export const chapaTestAccounts = {
  success: '1000000000001',
  failed: '1000000000002',
  pendingForever: '1000000000003',
  insufficientBalance: '1000000000009',
} as const;

export type CheckoutOutcome =
  | { readonly status: 'success' | 'failed'; readonly method: string }
  | { readonly status: 'pending'; readonly method: string };

/** The outcome of a test input typed on the checkout page; undefined when it is not a test input. */
export function checkoutOutcome(input: string): CheckoutOutcome | undefined {
  const normalized = input.replace(/[\s-]/g, '');
  switch (normalized) {
    case chapaTestInputs.cardSuccess:
      return { status: 'success', method: 'card' };
    case chapaTestInputs.cardDeclined:
    case chapaTestInputs.cardInsufficientFunds:
      return { status: 'failed', method: 'card' };
    case chapaTestInputs.telebirrSuccess:
      return { status: 'success', method: 'telebirr' };
    case chapaTestInputs.mpesaSuccess:
      return { status: 'success', method: 'mpesa' };
    case chapaTestInputs.mobilePendingForever:
      return { status: 'pending', method: 'telebirr' };
    default:
      return undefined;
  }
}

export type TransferOutcome = 'success' | 'failed' | 'pending' | 'insufficient_balance';

export function transferOutcome(accountNumber: string): TransferOutcome {
  switch (accountNumber) {
    case chapaTestAccounts.failed:
      return 'failed';
    case chapaTestAccounts.pendingForever:
      return 'pending';
    case chapaTestAccounts.insufficientBalance:
      return 'insufficient_balance';
    default:
      return 'success';
  }
}

const stamp = '2023-01-10T07:09:08.000000Z';

function bank(
  id: number,
  name: string,
  swift: string,
  acctLength: number,
  flags: { mobile?: boolean; active?: boolean; rtgs?: boolean } = {},
): ChapaBank {
  return {
    id,
    slug: name.toLowerCase().replace(/[^a-z0-9]+/g, '_'),
    swift,
    name,
    acct_length: acctLength,
    country_id: 1,
    is_mobilemoney: flags.mobile ? 1 : null,
    is_active: flags.active === false ? 0 : 1,
    is_rtgs: flags.rtgs === false ? null : 1,
    is_24hrs: flags.mobile ? 1 : null,
    currency: 'ETB',
    created_at: stamp,
    updated_at: stamp,
  };
}

/** Shaped like Chapa's `/v1/banks`; the ids are illustrative, the live list is the authority. */
export const sandboxBanks: readonly ChapaBank[] = [
  bank(946, 'Commercial Bank of Ethiopia (CBE)', 'CBETETAA', 13),
  bank(656, 'Awash Bank', 'AWINETAA', 14),
  bank(347, 'Bank of Abyssinia', 'ABYSETAA', 8),
  bank(880, 'Dashen Bank', 'DASHETAA', 13),
  bank(128, 'Bunna Bank', 'BUNAETAA', 13),
  bank(855, 'telebirr', 'TELEBIRR', 10, { mobile: true, rtgs: false }),
  bank(266, 'M-Pesa', 'MPESAETH', 10, { mobile: true, rtgs: false }),
  bank(153, 'CBEBirr', 'CBEBIRR', 10, { mobile: true, rtgs: false }),
  bank(301, 'Lion International Bank', 'LIBSETAA', 13, { active: false }),
];

export function findBank(code: unknown): ChapaBank | undefined {
  const id =
    typeof code === 'number' ? code : typeof code === 'string' && /^\d+$/.test(code) ? Number(code) : NaN;
  return sandboxBanks.find((b) => b.id === id && b.is_active === 1);
}
