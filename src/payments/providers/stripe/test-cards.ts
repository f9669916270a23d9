/**
 * Stripe's documented test cards (docs.stripe.com/testing) and the test PaymentMethod ids that stand
 * for them in code (`pm_card_visa` …). The sandbox decides every outcome from this table, and the
 * conformance driver and tests take their inputs from it, so the two cannot drift apart.
 */

export type CardOutcome =
  | { readonly type: 'succeed' }
  /** The issuer declines: `code` and `decline_code` as Stripe reports them. */
  | {
      readonly type: 'decline';
      readonly code: string;
      readonly declineCode?: string;
      readonly message: string;
    }
  /** 3D Secure is required: the PaymentIntent waits in `requires_action` for the cardholder. */
  | { readonly type: 'authenticate' };

export interface TestCard {
  readonly number: string;
  /** The test PaymentMethod ids that behave like this card. */
  readonly paymentMethods: readonly string[];
  readonly brand: string;
  readonly outcome: CardOutcome;
}

const declined = 'Your card was declined.';

export const testCards: readonly TestCard[] = [
  {
    number: '4242424242424242',
    paymentMethods: ['pm_card_visa'],
    brand: 'visa',
    outcome: { type: 'succeed' },
  },
  {
    number: '5555555555554444',
    paymentMethods: ['pm_card_mastercard'],
    brand: 'mastercard',
    outcome: { type: 'succeed' },
  },
  {
    number: '378282246310005',
    paymentMethods: ['pm_card_amex'],
    brand: 'amex',
    outcome: { type: 'succeed' },
  },
  {
    number: '4000000000000002',
    paymentMethods: ['pm_card_chargeDeclined', 'pm_card_visa_chargeDeclined'],
    brand: 'visa',
    outcome: { type: 'decline', code: 'card_declined', declineCode: 'generic_decline', message: declined },
  },
  {
    number: '4000000000009995',
    paymentMethods: [
      'pm_card_chargeDeclinedInsufficientFunds',
      'pm_card_visa_chargeDeclinedInsufficientFunds',
    ],
    brand: 'visa',
    outcome: {
      type: 'decline',
      code: 'card_declined',
      declineCode: 'insufficient_funds',
      message: 'Your card has insufficient funds.',
    },
  },
  {
    number: '4000000000009987',
    paymentMethods: ['pm_card_chargeDeclinedLostCard', 'pm_card_visa_chargeDeclinedLostCard'],
    brand: 'visa',
    outcome: { type: 'decline', code: 'card_declined', declineCode: 'lost_card', message: declined },
  },
  {
    number: '4000000000009979',
    paymentMethods: ['pm_card_chargeDeclinedStolenCard', 'pm_card_visa_chargeDeclinedStolenCard'],
    brand: 'visa',
    outcome: { type: 'decline', code: 'card_declined', declineCode: 'stolen_card', message: declined },
  },
  {
    number: '4000000000000069',
    paymentMethods: ['pm_card_chargeDeclinedExpiredCard', 'pm_card_visa_chargeDeclinedExpiredCard'],
    brand: 'visa',
    outcome: {
      type: 'decline',
      code: 'expired_card',
      declineCode: 'expired_card',
      message: 'Your card has expired.',
    },
  },
  {
    number: '4000000000000127',
    paymentMethods: ['pm_card_chargeDeclinedIncorrectCvc', 'pm_card_visa_chargeDeclinedIncorrectCvc'],
    brand: 'visa',
    outcome: {
      type: 'decline',
      code: 'incorrect_cvc',
      declineCode: 'incorrect_cvc',
      message: "Your card's security code is incorrect.",
    },
  },
  {
    number: '4000000000000119',
    paymentMethods: ['pm_card_chargeDeclinedProcessingError', 'pm_card_visa_chargeDeclinedProcessingError'],
    brand: 'visa',
    outcome: {
      type: 'decline',
      code: 'processing_error',
      declineCode: 'processing_error',
      message: 'An error occurred while processing your card. Try again in a little bit.',
    },
  },
  {
    number: '4100000000000019',
    paymentMethods: ['pm_card_radarBlock'],
    brand: 'visa',
    outcome: { type: 'decline', code: 'card_declined', declineCode: 'fraudulent', message: declined },
  },
  {
    number: '4000000000003220',
    paymentMethods: ['pm_card_threeDSecure2Required'],
    brand: 'visa',
    outcome: { type: 'authenticate' },
  },
  {
    number: '4000002760003184',
    paymentMethods: ['pm_card_authenticationRequired'],
    brand: 'visa',
    outcome: { type: 'authenticate' },
  },
];

export function cardByNumber(number: string): TestCard | undefined {
  return testCards.find((card) => card.number === number);
}

export function cardByPaymentMethod(id: string): TestCard | undefined {
  return testCards.find((card) => card.paymentMethods.includes(id));
}

/** Luhn check: a mistyped number is refused before any attempt, as Checkout does. */
export function luhnValid(number: string): boolean {
  if (!/^[0-9]{12,19}$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
