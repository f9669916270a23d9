/**
 * The sandbox's test inputs. Cards, OTPs and Access Bank accounts are the ones Flutterwave's v3
 * "testing helpers" page documents, with the processor responses it gives for them; where
 * Flutterwave documents nothing (a failed or stuck transfer to a given account, the bank lists of
 * countries beyond Nigeria) the sandbox defines its own, marked so.
 */

export interface CardOutcome {
  readonly status: 'successful' | 'failed';
  readonly processorResponse: string;
  readonly authModel: 'PIN' | 'VBVSECURECODE' | 'AVS_VBVSECURECODE' | 'NOAUTH';
  readonly type: 'MASTERCARD' | 'VISA' | 'VERVE';
}

const approved = 'Approved by Financial Institution';

/** Flutterwave's documented test cards (any expiry, CVV, PIN 3310 and OTP 12345 in this sandbox). */
export const testCards: Readonly<Record<string, CardOutcome>> = {
  '5531886652142950': {
    status: 'successful',
    processorResponse: approved,
    authModel: 'PIN',
    type: 'MASTERCARD',
  },
  '5438898014560229': {
    status: 'successful',
    processorResponse: approved,
    authModel: 'VBVSECURECODE',
    type: 'MASTERCARD',
  },
  '4187427415564246': {
    status: 'successful',
    processorResponse: approved,
    authModel: 'VBVSECURECODE',
    type: 'VISA',
  },
  '5061460410120223210': {
    status: 'successful',
    processorResponse: approved,
    authModel: 'PIN',
    type: 'VERVE',
  },
  '5061460166976054667': {
    status: 'successful',
    processorResponse: approved,
    authModel: 'NOAUTH',
    type: 'VERVE',
  },
  '4556052704172643': {
    status: 'successful',
    processorResponse: approved,
    authModel: 'AVS_VBVSECURECODE',
    type: 'VISA',
  },
  '5143010522339965': {
    status: 'failed',
    processorResponse: 'Do Not Honour',
    authModel: 'PIN',
    type: 'MASTERCARD',
  },
  '5590131743294314': {
    status: 'failed',
    processorResponse: 'Fraudulent',
    authModel: 'PIN',
    type: 'MASTERCARD',
  },
  '5258585922666506': {
    status: 'failed',
    processorResponse: 'Insufficient Funds',
    authModel: 'PIN',
    type: 'MASTERCARD',
  },
  '5551651630381384': {
    status: 'failed',
    processorResponse: 'Restricted Card, Retain Card',
    authModel: 'NOAUTH',
    type: 'MASTERCARD',
  },
  '5551658157653822': {
    status: 'failed',
    processorResponse: 'Invalid Transaction',
    authModel: 'NOAUTH',
    type: 'MASTERCARD',
  },
  '5258582054729020': {
    status: 'failed',
    processorResponse: 'Function Not Permitted to Cardholder',
    authModel: 'NOAUTH',
    type: 'MASTERCARD',
  },
  '5258588264565682': {
    status: 'failed',
    processorResponse: 'Function Not Permitted to Terminal',
    authModel: 'NOAUTH',
    type: 'MASTERCARD',
  },
  '5258589130149016': {
    status: 'failed',
    processorResponse: 'Transaction Error',
    authModel: 'NOAUTH',
    type: 'MASTERCARD',
  },
  '5399834697894723': {
    status: 'failed',
    processorResponse: 'Incorrect PIN',
    authModel: 'PIN',
    type: 'MASTERCARD',
  },
};

/** An unknown card number: the test issuer declines it. */
export const unknownCard: CardOutcome = {
  status: 'failed',
  processorResponse: 'Declined',
  authModel: 'NOAUTH',
  type: 'MASTERCARD',
};

/** Flutterwave's special OTPs; any other non-empty OTP passes. */
export const testOtps: Readonly<Record<string, string>> = {
  '5548': 'Wrong OTP',
  '6648': 'Insufficient Funds',
};

export const accessBankCode = '044';

/** Documented Access Bank test accounts (0690000031 … 0690000041) and their holders. */
export const testAccounts: Readonly<Record<string, string>> = {
  '0690000031': 'Forrest Green',
  '0690000032': 'Pastor Bright',
  '0690000033': 'Bertrand Leet',
  '0690000034': 'Ade Bond',
  '0690000035': 'Kemi Alade',
  '0690000036': 'Bode George',
  '0690000037': 'Chidi Okafor',
  '0690000038': 'Amina Bello',
  '0690000039': 'Tunde Bakare',
  '0690000040': 'Ngozi Eze',
  '0690000041': 'Segun Arinze',
};

/** Documented: transfers to it are refused at once as blacklisted. */
export const blacklistedAccount = '0690000036';
/** Sandbox's own: the transfer fails because the merchant's balance is short. */
export const insufficientBalanceAccount = '0690000040';
/** Sandbox's own: the transfer stays NEW for ever (no webhook), as test transfers do without a mock suffix. */
export const stuckAccount = '0690000041';

export type TransferOutcome =
  | { readonly status: 'SUCCESSFUL' | 'FAILED'; readonly completeMessage: string }
  | { readonly status: 'NEW' };

/**
 * What happens to a transfer. Flutterwave's documented reference suffixes win (`_PMCK` succeeds,
 * `_PMCK_ST_F` fails, optionally followed by `DU_<minutes>`, which the sandbox ignores); otherwise
 * the destination decides.
 */
export function transferOutcome(bankCode: string, accountNumber: string, reference: string): TransferOutcome {
  if (/_PMCK_ST_F(DU_[0-9]+)?$/.test(reference)) {
    return { status: 'FAILED', completeMessage: 'DISBURSE FAILED: Transaction failed' };
  }
  if (/_PMCK(DU_[0-9]+)?$/.test(reference)) return { status: 'SUCCESSFUL', completeMessage: 'Successful' };
  if (bankCode !== accessBankCode || testAccounts[accountNumber] === undefined) {
    return { status: 'FAILED', completeMessage: 'DISBURSE FAILED: Account resolve failed' };
  }
  if (accountNumber === stuckAccount) return { status: 'NEW' };
  if (accountNumber === insufficientBalanceAccount) {
    return { status: 'FAILED', completeMessage: 'DISBURSE FAILED: Insufficient funds in customer wallet' };
  }
  return { status: 'SUCCESSFUL', completeMessage: 'Successful' };
}

interface SandboxBank {
  readonly id: number;
  readonly code: string;
  readonly name: string;
}

/** Nigerian banks with their NIBSS codes, as `GET /v3/banks/NG` lists them (ids are the sandbox's). */
const nigerianBanks: readonly SandboxBank[] = [
  { id: 191, code: '044', name: 'Access Bank' },
  { id: 192, code: '063', name: 'Access Bank (Diamond)' },
  { id: 193, code: '023', name: 'Citibank Nigeria' },
  { id: 194, code: '050', name: 'Ecobank Nigeria' },
  { id: 195, code: '070', name: 'Fidelity Bank' },
  { id: 196, code: '011', name: 'First Bank of Nigeria' },
  { id: 197, code: '214', name: 'First City Monument Bank' },
  { id: 198, code: '058', name: 'Guaranty Trust Bank' },
  { id: 199, code: '030', name: 'Heritage Bank' },
  { id: 200, code: '082', name: 'Keystone Bank' },
  { id: 201, code: '076', name: 'Polaris Bank' },
  { id: 202, code: '101', name: 'Providus Bank' },
  { id: 203, code: '221', name: 'Stanbic IBTC Bank' },
  { id: 204, code: '068', name: 'Standard Chartered Bank' },
  { id: 205, code: '232', name: 'Sterling Bank' },
  { id: 206, code: '032', name: 'Union Bank of Nigeria' },
  { id: 207, code: '033', name: 'United Bank For Africa' },
  { id: 208, code: '215', name: 'Unity Bank' },
  { id: 209, code: '035', name: 'Wema Bank' },
  { id: 210, code: '057', name: 'Zenith Bank' },
];

/** Sandbox's own short lists for the other countries (codes illustrative). */
export const banksByCountry: Readonly<Record<string, readonly SandboxBank[]>> = {
  NG: nigerianBanks,
  KE: [
    { id: 301, code: '01', name: 'Kenya Commercial Bank' },
    { id: 302, code: '11', name: 'Co-operative Bank of Kenya' },
    { id: 303, code: '68', name: 'Equity Bank' },
    { id: 304, code: 'MPS', name: 'M-Pesa (Mobile Money)' },
  ],
  UG: [
    { id: 401, code: '130', name: 'Stanbic Bank Uganda' },
    { id: 402, code: 'MPS', name: 'MTN Mobile Money Uganda' },
  ],
  TZ: [
    { id: 501, code: '202', name: 'CRDB Bank' },
    { id: 502, code: '203', name: 'NMB Bank' },
  ],
  RW: [
    { id: 601, code: '040', name: 'Bank of Kigali' },
    { id: 602, code: 'MPS', name: 'MTN Mobile Money Rwanda' },
  ],
};

/** Currencies the sandbox accepts, with the decimals Flutterwave takes for each. */
export const sandboxCurrencies: ReadonlySet<string> = new Set([
  'NGN',
  'KES',
  'UGX',
  'RWF',
  'TZS',
  'USD',
  'EUR',
]);
