import { describe, expect, it } from 'vitest';
import { failureCodes } from '../provider.ts';
import { isConfigured, modeOf, problems } from './options.ts';
import { sandboxBanks } from './sandbox-data.ts';
import {
  bankFromChapa,
  chargeStatus,
  fromChapaAmount,
  isActiveBank,
  isAlreadyRefunded,
  isDuplicateReference,
  isInsufficientBalance,
  isInvalidDestination,
  messageText,
  splitName,
  toChapaAmount,
  toChapaDescription,
  toChapaPhone,
  transferStatus,
  webhookEventMapping,
} from './transformers.ts';

describe('chapa amounts', () => {
  it('sends major units as a decimal string', () => {
    expect(toChapaAmount(12_347n, 'ETB')).toBe('123.47');
    expect(toChapaAmount(5n, 'USD')).toBe('0.05');
    expect(toChapaAmount(100_000n, 'ETB')).toBe('1000.00');
  });

  it('reads strings (webhooks) and numbers (verify) exactly', () => {
    expect(fromChapaAmount('123.47', 'ETB')).toBe(12_347n);
    expect(fromChapaAmount(123.47, 'ETB')).toBe(12_347n);
    expect(fromChapaAmount('100.00', 'ETB')).toBe(10_000n);
    expect(fromChapaAmount(100, 'ETB')).toBe(10_000n);
    expect(fromChapaAmount('0.10', 'USD')).toBe(10n);
    expect(fromChapaAmount(0.1, 'USD')).toBe(10n);
  });

  it('refuses what is not an amount of the currency', () => {
    expect(fromChapaAmount('12.345', 'ETB')).toBeUndefined();
    expect(fromChapaAmount('abc', 'ETB')).toBeUndefined();
    expect(fromChapaAmount('0', 'ETB')).toBeUndefined();
    expect(fromChapaAmount(-5, 'ETB')).toBeUndefined();
    expect(fromChapaAmount(0.1 + 0.2, 'ETB')).toBeUndefined();
    expect(fromChapaAmount(null, 'ETB')).toBeUndefined();
    expect(fromChapaAmount('10', 'XXX')).toBeUndefined();
  });
});

describe('chapa payer details', () => {
  it('writes Ethiopian numbers in the local 09/07 form and drops others', () => {
    expect(toChapaPhone('+251911234567')).toBe('0911234567');
    expect(toChapaPhone('+251711234567')).toBe('0711234567');
    expect(toChapaPhone('+254708374149')).toBeUndefined();
    expect(toChapaPhone('+25191123456')).toBeUndefined();
    expect(toChapaPhone(undefined)).toBeUndefined();
  });

  it('splits a name into first and last', () => {
    expect(splitName('Abebe Bikila')).toEqual({ first_name: 'Abebe', last_name: 'Bikila' });
    expect(splitName('  Tirunesh  Dibaba Tola ')).toEqual({
      first_name: 'Tirunesh',
      last_name: 'Dibaba Tola',
    });
    expect(splitName('Haile')).toEqual({ first_name: 'Haile' });
    expect(splitName(undefined)).toEqual({});
  });

  it('keeps only the characters Chapa allows in a checkout description', () => {
    expect(toChapaDescription('Deposit: 100 ETB (wallet #3)!')).toBe('Deposit 100 ETB wallet 3');
    expect(toChapaDescription('top-up_1.5')).toBe('top-up_1.5');
    expect(toChapaDescription('€€€')).toBe('Payment');
    expect(toChapaDescription('x'.repeat(300))).toHaveLength(100);
  });
});

describe('chapa statuses', () => {
  it('maps charge states', () => {
    expect(chargeStatus('pending')).toEqual({ status: 'pending' });
    expect(chargeStatus('success')).toEqual({ status: 'succeeded' });
    expect(chargeStatus('refunded')).toEqual({ status: 'succeeded' });
    expect(chargeStatus('failed')?.failure?.code).toBe('declined');
    expect(chargeStatus('cancelled')?.failure?.code).toBe('cancelled_by_payer');
    expect(chargeStatus('reversed')?.failure?.code).toBe('processing_error');
    expect(chargeStatus('failed')?.failure?.providerCode).toBe('failed');
    expect(chargeStatus('mystery')).toBeUndefined();
  });

  it('maps transfer states', () => {
    expect(transferStatus('pending')).toEqual({ status: 'pending' });
    expect(transferStatus('success')).toEqual({ status: 'succeeded' });
    expect(transferStatus('failed')?.failure?.code).toBe('processing_error');
    expect(transferStatus('cancelled')?.failure?.code).toBe('declined');
    expect(transferStatus('reversed')?.status).toBe('failed');
    expect(transferStatus('mystery')).toBeUndefined();
  });

  it('maps every documented webhook event', () => {
    expect(webhookEventMapping('charge.success')).toEqual({ kind: 'collection', status: 'succeeded' });
    expect(webhookEventMapping('charge.failed')).toMatchObject({
      kind: 'collection',
      failure: { code: 'declined' },
    });
    expect(webhookEventMapping('charge.cancelled')).toMatchObject({
      kind: 'collection',
      failure: { code: 'cancelled_by_payer' },
    });
    expect(webhookEventMapping('charge.refunded')).toEqual({ kind: 'refund', status: 'succeeded' });
    expect(webhookEventMapping('charge.reversed').kind).toBe('other');
    expect(webhookEventMapping('payout.success')).toEqual({ kind: 'payout', status: 'succeeded' });
    expect(webhookEventMapping('payout.failed')).toMatchObject({ kind: 'payout', status: 'failed' });
    expect(webhookEventMapping('payout.cancelled')).toMatchObject({
      kind: 'payout',
      failure: { code: 'declined' },
    });
    expect(webhookEventMapping('payout.reversed')).toMatchObject({ kind: 'payout', status: 'failed' });
    expect(webhookEventMapping('customeridentification.success')).toEqual({
      kind: 'other',
      status: 'pending',
    });
  });

  it('only ever produces failure codes of the contract', () => {
    const states = ['failed', 'cancelled', 'reversed', 'expired'];
    for (const state of states) {
      for (const mapping of [chargeStatus(state), transferStatus(state)]) {
        if (mapping?.failure) expect(failureCodes).toContain(mapping.failure.code);
      }
    }
  });
});

describe('chapa error texts', () => {
  it('flattens string and field-error messages', () => {
    expect(messageText({ message: 'Insufficient Balance', status: 'failed', data: null })).toBe(
      'Insufficient Balance',
    );
    expect(messageText({ message: { reference: ['The reference has already been taken.'] } })).toBe(
      'reference: The reference has already been taken.',
    );
    expect(messageText(undefined)).toBe('');
    expect(messageText('<html>')).toBe('');
  });

  it('recognises refusals by their words', () => {
    expect(isDuplicateReference('Transaction reference has been used before')).toBe(true);
    expect(isDuplicateReference('reference: The reference has already been taken.')).toBe(true);
    expect(isDuplicateReference('Insufficient Balance')).toBe(false);
    expect(isDuplicateReference('reference: The reference field is required.')).toBe(false);
    expect(isInsufficientBalance('Insufficient Balance')).toBe(true);
    expect(isAlreadyRefunded('Transaction has already been refunded')).toBe(true);
    expect(isInvalidDestination('bank_code: The selected bank code is invalid.')).toBe(true);
    expect(isInvalidDestination('currency: The selected currency is invalid.')).toBe(false);
  });
});

describe('chapa banks', () => {
  it('uses the bank id as code and marks wallets', () => {
    const telebirr = sandboxBanks.find((b) => b.name === 'telebirr');
    if (!telebirr) throw new Error('telebirr missing from the sandbox list');
    expect(bankFromChapa(telebirr)).toEqual({
      code: '855',
      name: 'telebirr',
      currency: 'ETB',
      mobileMoney: true,
    });
    const cbe = sandboxBanks.find((b) => b.id === 946);
    if (!cbe) throw new Error('CBE missing from the sandbox list');
    expect(bankFromChapa(cbe).mobileMoney).toBe(false);
    expect(sandboxBanks.filter((b) => !isActiveBank(b)).map((b) => b.name)).toEqual([
      'Lion International Bank',
    ]);
  });
});

describe('chapa options', () => {
  const key = 'CHASECK_TEST-abcdefghijklmnop';

  it('decides the mode from the key prefix', () => {
    expect(modeOf({ CHAPA_SECRET_KEY: key })).toBe('test');
    expect(modeOf({ CHAPA_SECRET_KEY: 'CHASECK-abcdefghijklmnop' })).toBe('live');
    expect(modeOf({})).toBe('test');
    expect(isConfigured({ CHAPA_SECRET_KEY: key })).toBe(true);
    expect(isConfigured({ CHAPA_WEBHOOK_SECRET: 'x' })).toBe(false);
  });

  it('reports partial or odd settings without echoing values', () => {
    expect(problems({})).toEqual([]);
    expect(problems({ CHAPA_SECRET_KEY: key, CHAPA_WEBHOOK_SECRET: 'whsec-value' })).toEqual([]);
    const keyOnly = problems({ CHAPA_SECRET_KEY: key });
    expect(keyOnly).toHaveLength(1);
    expect(keyOnly[0]).toContain('CHAPA_WEBHOOK_SECRET');
    expect(problems({ CHAPA_WEBHOOK_SECRET: 'whsec-value' })[0]).toContain('CHAPA_SECRET_KEY');
    const wrong = problems({ CHAPA_SECRET_KEY: 'sk_live_secretvalue', CHAPA_WEBHOOK_SECRET: 'whsec-value' });
    expect(wrong).toHaveLength(1);
    expect(wrong.join(' ')).not.toContain('sk_live_secretvalue');
    expect(problems({ CHAPA_API_BASE: 'ftp://x' })).toEqual(['CHAPA_API_BASE must be an http(s) URL.']);
    expect(problems({ CHAPA_CHECKOUT_TITLE: 'A title longer than sixteen' })).toHaveLength(1);
  });
});
