import { describe, expect, it } from 'vitest';
import { findCurrency } from '../../../shared/currencies.ts';
import { decodeForm, encodeForm } from './form.ts';
import {
  eventFields,
  failureFromStripeError,
  fromStripeAmount,
  paymentIntentOutcome,
  refundStatus,
  sessionTransaction,
  stripeCurrencies,
  stripeDecimals,
  toStripeAmount,
} from './transformers.ts';
import type { StripeCheckoutSession, StripePaymentIntent } from './wire.ts';

function intent(fields: Partial<StripePaymentIntent> = {}): StripePaymentIntent {
  return {
    id: 'pi_1',
    object: 'payment_intent',
    amount: 1234,
    amount_capturable: 0,
    amount_received: 0,
    currency: 'usd',
    status: 'requires_payment_method',
    metadata: { reference: 'dep_1' },
    last_payment_error: null,
    latest_charge: null,
    payment_method: null,
    payment_method_types: ['card'],
    cancellation_reason: null,
    canceled_at: null,
    capture_method: 'automatic_async',
    confirmation_method: 'automatic',
    client_secret: 'pi_1_secret_x',
    created: 1,
    description: null,
    livemode: false,
    next_action: null,
    receipt_email: null,
    ...fields,
  };
}

function session(fields: Partial<StripeCheckoutSession> = {}): StripeCheckoutSession {
  return {
    id: 'cs_test_1',
    object: 'checkout.session',
    amount_subtotal: 1234,
    amount_total: 1234,
    currency: 'usd',
    client_reference_id: 'dep_1',
    customer_email: null,
    customer_details: null,
    metadata: { reference: 'dep_1' },
    mode: 'payment',
    payment_intent: null,
    payment_method_types: ['card'],
    payment_status: 'unpaid',
    status: 'open',
    url: 'https://checkout.stripe.com/c/pay/cs_test_1',
    success_url: null,
    cancel_url: null,
    expires_at: 2,
    created: 1,
    livemode: false,
    ...fields,
  };
}

describe('stripe amounts', () => {
  it('sends minor units unchanged, zero-decimal UGX and RWF included', () => {
    expect(toStripeAmount(1234n, 'USD')).toBe('1234');
    expect(toStripeAmount(5000n, 'UGX')).toBe('5000');
    expect(toStripeAmount(700n, 'rwf')).toBe('700');
    expect(toStripeAmount(99_999_999n, 'KES')).toBe('99999999');
  });

  it('agrees with our registry on every currency it declares', () => {
    for (const code of stripeCurrencies) expect(stripeDecimals(code)).toBe(findCurrency(code)?.decimals);
  });

  it('refuses amounts Stripe cannot take', () => {
    expect(() => toStripeAmount(0n, 'USD')).toThrow(RangeError);
    expect(() => toStripeAmount(-5n, 'USD')).toThrow(RangeError);
    expect(() => toStripeAmount(100_000_000n, 'USD')).toThrow(/eight-digit/);
    expect(() => toStripeAmount(1n, 'XYZ')).toThrow(/unknown currency/);
    // Our registry has more decimals than Stripe for USDT: never silently rounded.
    expect(() => toStripeAmount(1n, 'USDT')).toThrow(/more decimals/);
  });

  it('reads Stripe integers back as bigint, refusing non-integers', () => {
    expect(fromStripeAmount(1234, 'usd')).toBe(1234n);
    expect(fromStripeAmount(5000, 'ugx')).toBe(5000n);
    expect(fromStripeAmount(12.5, 'usd')).toBeUndefined();
    expect(fromStripeAmount(-1, 'usd')).toBeUndefined();
    expect(fromStripeAmount('1234', 'usd')).toBeUndefined();
  });
});

describe('stripe failure codes', () => {
  it.each([
    ['card_declined', 'generic_decline', 'declined'],
    ['card_declined', 'insufficient_funds', 'insufficient_funds'],
    ['card_declined', 'lost_card', 'account_locked'],
    ['card_declined', 'stolen_card', 'account_locked'],
    ['card_declined', 'pickup_card', 'account_locked'],
    ['card_declined', 'pin_try_exceeded', 'account_locked'],
    ['card_declined', 'incorrect_pin', 'wrong_pin'],
    ['card_declined', 'fraudulent', 'declined'],
    ['card_declined', 'do_not_honor', 'declined'],
    ['card_declined', 'try_again_later', 'processing_error'],
    ['card_declined', 'issuer_not_available', 'processing_error'],
    ['incorrect_cvc', undefined, 'wrong_pin'],
    ['expired_card', 'expired_card', 'declined'],
    ['processing_error', undefined, 'processing_error'],
    ['payment_intent_authentication_failure', undefined, 'cancelled_by_payer'],
    ['payment_intent_payment_attempt_expired', undefined, 'expired'],
    ['something_new', undefined, 'declined'],
  ])('%s / %s → %s', (code, declineCode, expected) => {
    const failure = failureFromStripeError({
      type: 'card_error',
      code,
      ...(declineCode ? { decline_code: declineCode } : {}),
      message: 'm',
    });
    expect(failure.code).toBe(expected);
    expect(failure.providerCode).toBe(declineCode ?? code);
  });

  it('says something even without an error object', () => {
    expect(failureFromStripeError(null)).toEqual({ code: 'declined', message: 'The card payment failed.' });
  });
});

describe('stripe statuses', () => {
  it('maps PaymentIntent statuses', () => {
    expect(paymentIntentOutcome(intent({ status: 'succeeded' })).status).toBe('succeeded');
    expect(paymentIntentOutcome(intent({ status: 'processing' })).status).toBe('pending');
    expect(paymentIntentOutcome(intent({ status: 'requires_action' })).status).toBe('pending');
    expect(paymentIntentOutcome(intent()).status).toBe('pending');
    const declined = paymentIntentOutcome(
      intent({
        last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds' },
      }),
    );
    expect(declined).toMatchObject({ status: 'failed', failure: { code: 'insufficient_funds' } });
    expect(
      paymentIntentOutcome(intent({ status: 'canceled', cancellation_reason: 'abandoned' })),
    ).toMatchObject({
      status: 'failed',
      failure: { code: 'cancelled_by_payer' },
    });
    expect(
      paymentIntentOutcome(intent({ status: 'canceled', cancellation_reason: 'automatic' })).failure?.code,
    ).toBe('expired');
  });

  it('maps Checkout Sessions, asking the intent while the session is open', () => {
    const paid = sessionTransaction(
      session({ status: 'complete', payment_status: 'paid', payment_intent: 'pi_1' }),
    );
    expect(paid).toMatchObject({
      status: 'succeeded',
      reference: 'dep_1',
      providerId: 'cs_test_1',
      amountMinor: 1234n,
      currency: 'USD',
      receipt: 'pi_1',
    });
    expect(sessionTransaction(session({ status: 'complete', payment_status: 'unpaid' })).status).toBe(
      'pending',
    );
    expect(sessionTransaction(session({ status: 'expired' }))).toMatchObject({
      status: 'failed',
      failure: { code: 'expired' },
    });
    expect(sessionTransaction(session()).status).toBe('pending');
    const failed = sessionTransaction(
      session(),
      intent({ last_payment_error: { type: 'card_error', code: 'processing_error' } }),
    );
    expect(failed).toMatchObject({
      status: 'failed',
      failure: { code: 'processing_error' },
      providerId: 'cs_test_1',
    });
  });

  it('maps refund statuses', () => {
    expect(refundStatus('succeeded')).toBe('succeeded');
    expect(refundStatus('pending')).toBe('pending');
    expect(refundStatus('requires_action')).toBe('pending');
    expect(refundStatus('failed')).toBe('failed');
    expect(refundStatus('canceled')).toBe('failed');
  });
});

describe('stripe events', () => {
  it('reads payment_intent events as collections carrying our reference', () => {
    const fields = eventFields('payment_intent.succeeded', intent({ status: 'succeeded' }) as never);
    expect(fields).toMatchObject({
      kind: 'collection',
      status: 'succeeded',
      reference: 'dep_1',
      providerId: 'pi_1',
    });
  });

  it('reads refunds, and keeps unknown events as other', () => {
    const refund = {
      id: 're_1',
      object: 'refund',
      amount: 500,
      currency: 'usd',
      status: 'succeeded',
      metadata: { refund_id: 'rf_1' },
    };
    expect(eventFields('refund.created', refund)).toMatchObject({
      kind: 'refund',
      status: 'succeeded',
      reference: 'rf_1',
      providerId: 're_1',
      amountMinor: 500n,
    });
    const charge = {
      object: 'charge',
      id: 'ch_1',
      currency: 'usd',
      amount_refunded: 500,
      payment_intent: 'pi_1',
      metadata: { reference: 'dep_1' },
    };
    expect(eventFields('charge.refunded', charge)).toMatchObject({
      kind: 'refund',
      reference: 'dep_1',
      providerId: 'pi_1',
    });
    expect(eventFields('customer.created', { object: 'customer' })).toEqual({
      kind: 'other',
      status: 'pending',
    });
    // A type whose object does not match is not trusted as that type.
    expect(eventFields('payment_intent.succeeded', { object: 'charge' }).kind).toBe('other');
  });
});

describe('stripe form encoding', () => {
  it('round-trips nested keys and arrays as Stripe writes them', () => {
    const text = encodeForm({
      mode: 'payment',
      line_items: [
        {
          quantity: 1,
          price_data: { currency: 'usd', unit_amount: '1234', product_data: { name: 'A & B' } },
        },
      ],
      metadata: { reference: 'dep_1' },
      skipped: undefined,
    });
    expect(text).toContain('line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=usd');
    expect(text).not.toContain('skipped');
    expect(decodeForm(text)).toEqual({
      mode: 'payment',
      line_items: [
        {
          quantity: '1',
          price_data: { currency: 'usd', unit_amount: '1234', product_data: { name: 'A & B' } },
        },
      ],
      metadata: { reference: 'dep_1' },
    });
  });

  it('decodes bare brackets and empty-bracket lists as stripe-node and curl send them', () => {
    expect(decodeForm('expand[]=payment_intent&expand[]=customer&metadata[a]=x+y')).toEqual({
      expand: ['payment_intent', 'customer'],
      metadata: { a: 'x y' },
    });
    expect(() => decodeForm('a=1&a[b]=2')).toThrow(/both/);
    expect(() => decodeForm('a[b=1')).toThrow(/malformed/);
    expect(() => decodeForm('a=%E0%A4%A')).toThrow(/percent/);
  });
});
