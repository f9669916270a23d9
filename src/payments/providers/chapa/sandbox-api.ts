/**
 * The Chapa sandbox's API routes (`/v1/…`) and in-memory state. Answers use Chapa's envelope and
 * field types: amounts as numbers in verify answers and as strings in webhooks, validation errors
 * as `{field: [messages]}` with HTTP 400.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { formatAmount, parseAmount } from '../../../shared/money.ts';
import { findBank, sandboxBanks, transferOutcome } from './sandbox-data.ts';
import { bearerMatches, chapaReference, type Fields, type Sent, sendChapa } from './sandbox-http.ts';
import type { ChapaBank } from './wire.ts';

export type ChargeState = 'pending' | 'success' | 'failed' | 'cancelled' | 'refunded';

export interface SandboxTransaction {
  readonly token: string;
  readonly txRef: string;
  /** Chapa's reference. */
  readonly reference: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly email: string | null;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly phone: string | null;
  readonly title: string;
  readonly description: string;
  readonly returnUrl: string | null;
  readonly createdAt: string;
  status: ChargeState;
  method: string | null;
  updatedAt: string;
}

interface SandboxTransfer {
  readonly reference: string;
  readonly chapaTransferId: string;
  readonly accountName: string;
  readonly accountNumber: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly bank: ChapaBank;
  readonly createdAt: string;
  status: 'pending' | 'success' | 'failed';
  updatedAt: string;
}

export interface SandboxApiOptions {
  readonly baseUrl: string;
  readonly secretKey: string;
  readonly settleDelayMs: number;
  readonly schedule: (fn: () => void, ms: number) => void;
  readonly notify: (body: Record<string, unknown>) => void;
}

type Errors = Record<string, string[]>;

const txRefPattern = /^[A-Za-z0-9._-]{1,100}$/;
const decimalPattern = /^\d+(\.\d+)?$/;

export class SandboxApi {
  readonly #options: SandboxApiOptions;
  readonly #transactions = new Map<string, SandboxTransaction>();
  readonly #tokens = new Map<string, SandboxTransaction>();
  readonly #transfers = new Map<string, SandboxTransfer>();
  readonly #refunds = new Set<string>();

  constructor(options: SandboxApiOptions) {
    this.#options = options;
  }

  authorized(header: string | undefined): boolean {
    return bearerMatches(header, this.#options.secretKey);
  }

  byToken(token: string): SandboxTransaction | undefined {
    return this.#tokens.get(token);
  }

  route(method: string, path: string, fields: Fields, res: ServerResponse): Sent {
    const verify = /^\/v1\/transaction\/verify\/([^/]+)$/.exec(path);
    const transferVerify = /^\/v1\/transfers\/verify\/([^/]+)$/.exec(path);
    const refund = /^\/v1\/refund\/([^/]+)$/.exec(path);
    if (method === 'POST' && path === '/v1/transaction/initialize') return this.#initialize(fields, res);
    if (method === 'GET' && verify?.[1]) return this.#verify(decodeURIComponent(verify[1]), res);
    if (method === 'GET' && path === '/v1/banks') return sendChapa(res, 200, 'Banks retrieved', sandboxBanks);
    if (method === 'POST' && path === '/v1/transfers') return this.#transfer(fields, res);
    if (method === 'GET' && transferVerify?.[1])
      return this.#verifyTransfer(decodeURIComponent(transferVerify[1]), res);
    if (method === 'POST' && refund?.[1]) return this.#refund(decodeURIComponent(refund[1]), fields, res);
    return sendChapa(res, 404, 'Route not found');
  }

  #initialize(fields: Fields, res: ServerResponse): Sent {
    const errors: Errors = {};
    const currency = text(fields.currency);
    if (!currency) add(errors, 'currency', 'The currency field is required.');
    else if (currency !== 'ETB' && currency !== 'USD')
      add(errors, 'currency', 'The selected currency is invalid.');
    const amountMinor = readAmount(fields.amount, currency, errors);
    const txRef = text(fields.tx_ref);
    if (!txRef) add(errors, 'tx_ref', 'The tx ref field is required.');
    else if (!txRefPattern.test(txRef)) add(errors, 'tx_ref', 'The tx ref format is invalid.');
    const email = text(fields.email);
    if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
      add(errors, 'email', 'The email must be a valid email address.');
    const phone = text(fields.phone_number);
    if (phone && !/^0[79]\d{8}$/.test(phone))
      add(errors, 'phone_number', 'The phone number format is invalid.');
    const custom = readCustomization(fields, errors);
    const returnUrl = text(fields.return_url);
    if (returnUrl && !isUrl(returnUrl)) add(errors, 'return_url', 'The return url format is invalid.');
    if (Object.keys(errors).length > 0 || !txRef || !currency || amountMinor === undefined) {
      return sendChapa(res, 400, errors);
    }
    if (this.#transactions.has(txRef))
      return sendChapa(res, 400, 'Transaction reference has been used before');
    const now = new Date().toISOString();
    const tx: SandboxTransaction = {
      token: randomBytes(12).toString('hex'),
      txRef,
      reference: chapaReference('AP'),
      amountMinor,
      currency,
      email: email ?? null,
      firstName: text(fields.first_name) ?? null,
      lastName: text(fields.last_name) ?? null,
      phone: phone ?? null,
      title: custom.title,
      description: custom.description,
      returnUrl: returnUrl ?? null,
      createdAt: now,
      status: 'pending',
      method: null,
      updatedAt: now,
    };
    this.#transactions.set(txRef, tx);
    this.#tokens.set(tx.token, tx);
    return sendChapa(res, 200, 'Hosted Link', {
      checkout_url: `${this.#options.baseUrl}/checkout/payment/${tx.token}`,
    });
  }

  #verify(txRef: string, res: ServerResponse): Sent {
    const tx = this.#transactions.get(txRef);
    if (!tx) return sendChapa(res, 404, 'Invalid transaction or Transaction not found');
    return sendChapa(res, 200, 'Payment details', {
      first_name: tx.firstName,
      last_name: tx.lastName,
      email: tx.email,
      currency: tx.currency,
      amount: Number(formatAmount(tx.amountMinor, tx.currency)),
      charge: 0,
      mode: 'test',
      method: tx.method ?? 'test',
      type: 'API',
      status: tx.status,
      reference: tx.reference,
      tx_ref: tx.txRef,
      customization: { title: tx.title, description: tx.description, logo: null },
      meta: null,
      created_at: tx.createdAt,
      updated_at: tx.updatedAt,
    });
  }

  /** A payer's decision on the checkout page, and the webhook Chapa sends for it. */
  settleCharge(tx: SandboxTransaction, status: 'success' | 'failed' | 'cancelled', method: string): void {
    tx.status = status;
    tx.method = method;
    tx.updatedAt = new Date().toISOString();
    this.#options.notify(chargeWebhook(tx, `charge.${status}`));
  }

  #transfer(fields: Fields, res: ServerResponse): Sent {
    const errors: Errors = {};
    const accountName = text(fields.account_name);
    if (!accountName) add(errors, 'account_name', 'The account name field is required.');
    const accountNumber = text(fields.account_number);
    if (!accountNumber) add(errors, 'account_number', 'The account number field is required.');
    const currency = text(fields.currency);
    if (currency !== 'ETB') add(errors, 'currency', 'The selected currency is invalid.');
    const amountMinor = readAmount(fields.amount, currency, errors);
    const reference = text(fields.reference);
    if (!reference) add(errors, 'reference', 'The reference field is required.');
    else if (this.#transfers.has(reference))
      add(errors, 'reference', 'The reference has already been taken.');
    const bank = findBank(fields.bank_code);
    if (!bank) add(errors, 'bank_code', 'The selected bank code is invalid.');
    else if (accountNumber && (!/^\d+$/.test(accountNumber) || accountNumber.length !== bank.acct_length)) {
      add(
        errors,
        'account_number',
        `The account number must be ${bank.acct_length} digits for ${bank.name}.`,
      );
    }
    if (Object.keys(errors).length > 0 || !bank || !reference || !accountName || !accountNumber) {
      return sendChapa(res, 400, errors);
    }
    const outcome = transferOutcome(accountNumber);
    if (outcome === 'insufficient_balance') return sendChapa(res, 400, 'Insufficient Balance');
    const now = new Date().toISOString();
    const transfer: SandboxTransfer = {
      reference,
      chapaTransferId: randomUUID(),
      accountName,
      accountNumber,
      amountMinor: amountMinor ?? 0n,
      currency: 'ETB',
      bank,
      createdAt: now,
      status: 'pending',
      updatedAt: now,
    };
    this.#transfers.set(reference, transfer);
    if (outcome !== 'pending') {
      this.#options.schedule(() => this.#settleTransfer(transfer, outcome), this.#options.settleDelayMs);
    }
    return sendChapa(res, 200, 'Transfer Queued Successfully', 'Transfer Queued Successfully');
  }

  #settleTransfer(transfer: SandboxTransfer, status: 'success' | 'failed'): void {
    transfer.status = status;
    transfer.updatedAt = new Date().toISOString();
    this.#options.notify({
      event: `payout.${status}`,
      type: 'Payout',
      account_name: transfer.accountName,
      account_number: transfer.accountNumber,
      bank_id: transfer.bank.id,
      bank_name: transfer.bank.name,
      amount: formatAmount(transfer.amountMinor, transfer.currency),
      charge: '0.00',
      currency: transfer.currency,
      status,
      reference: transfer.reference,
      chapa_reference: transfer.chapaTransferId,
      created_at: transfer.createdAt,
      updated_at: transfer.updatedAt,
    });
  }

  #verifyTransfer(reference: string, res: ServerResponse): Sent {
    const transfer = this.#transfers.get(reference);
    if (!transfer) return sendChapa(res, 404, 'Transfer not found');
    return sendChapa(res, 200, 'Transfer details', {
      account_name: transfer.accountName,
      account_number: transfer.accountNumber,
      mobile: transfer.bank.is_mobilemoney ? transfer.accountNumber : null,
      currency: transfer.currency,
      amount: Number(formatAmount(transfer.amountMinor, transfer.currency)),
      charge: 0,
      mode: 'test',
      transfer_method: transfer.bank.is_mobilemoney ? 'mobile_money' : 'bank',
      narration: null,
      chapa_transfer_id: transfer.chapaTransferId,
      bank_code: transfer.bank.id,
      bank_name: transfer.bank.name,
      cross_party_reference: null,
      ip_address: 'UNKNOWN',
      status: transfer.status,
      tx_ref: transfer.reference,
      created_at: transfer.createdAt,
      updated_at: transfer.updatedAt,
    });
  }

  /** `/v1/refund/{ref}`: the docs name the path segment both tx_ref and Chapa's reference; take either. */
  #refund(ref: string, fields: Fields, res: ServerResponse): Sent {
    const tx =
      this.#transactions.get(ref) ?? [...this.#transactions.values()].find((t) => t.reference === ref);
    if (!tx) return sendChapa(res, 404, 'Invalid transaction or Transaction not found');
    if (!text(fields.reason)) return sendChapa(res, 400, { reason: ['The reason field is required.'] });
    if (tx.status === 'refunded') return sendChapa(res, 400, 'Transaction has already been refunded');
    if (tx.status !== 'success') return sendChapa(res, 400, 'Only successful transactions can be refunded');
    const refundRef = text(fields.reference);
    if (refundRef && this.#refunds.has(refundRef))
      return sendChapa(res, 400, 'Refund reference has been used before');
    const errors: Errors = {};
    const amountMinor =
      fields.amount === undefined ? tx.amountMinor : readAmount(fields.amount, tx.currency, errors);
    if (amountMinor === undefined || Object.keys(errors).length > 0) return sendChapa(res, 400, errors);
    if (amountMinor !== tx.amountMinor) return sendChapa(res, 400, 'Partial refunds are not supported');
    if (refundRef) this.#refunds.add(refundRef);
    tx.status = 'refunded';
    tx.updatedAt = new Date().toISOString();
    const chapaRefund = chapaReference('RF');
    this.#options.notify(chargeWebhook(tx, 'charge.refunded'));
    return sendChapa(res, 200, 'Refund processed successfully', {
      tx_ref: tx.txRef,
      reference: refundRef ?? null,
      chapa_reference: chapaRefund,
      amount: formatAmount(amountMinor, tx.currency),
      currency: tx.currency,
      status: 'refunded',
    });
  }
}

function chargeWebhook(tx: SandboxTransaction, event: string): Record<string, unknown> {
  return {
    event,
    type: 'API',
    first_name: tx.firstName,
    last_name: tx.lastName,
    email: tx.email,
    mobile: tx.phone,
    currency: tx.currency,
    amount: formatAmount(tx.amountMinor, tx.currency),
    charge: '0.00',
    status: tx.status,
    mode: 'test',
    reference: tx.reference,
    tx_ref: tx.txRef,
    payment_method: tx.method,
    created_at: tx.createdAt,
    updated_at: tx.updatedAt,
  };
}

function readAmount(value: unknown, currency: string | undefined, errors: Errors): bigint | undefined {
  const raw = typeof value === 'number' ? String(value) : text(value);
  if (!raw) {
    add(errors, 'amount', 'The amount field is required.');
    return undefined;
  }
  if (!decimalPattern.test(raw)) {
    add(errors, 'amount', 'The amount must be a number.');
    return undefined;
  }
  if (!currency || (currency !== 'ETB' && currency !== 'USD')) return undefined;
  try {
    return parseAmount(raw.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, ''), currency);
  } catch {
    add(errors, 'amount', 'The amount must be greater than 0 with at most 2 decimals.');
    return undefined;
  }
}

function readCustomization(fields: Fields, errors: Errors): { title: string; description: string } {
  const custom = (typeof fields.customization === 'object' && fields.customization) || {};
  const title = text((custom as Fields).title) ?? text(fields['customization[title]']) ?? 'Chapa';
  const description =
    text((custom as Fields).description) ?? text(fields['customization[description]']) ?? '';
  if (title.length > 16)
    add(errors, 'customization.title', 'The customization.title must not be greater than 16 characters.');
  if (!/^[A-Za-z0-9\-_. ]*$/.test(description)) {
    add(
      errors,
      'customization.description',
      'The customization.description may only contain letters, numbers, hyphens, underscores, spaces and dots.',
    );
  }
  return { title, description };
}

function add(errors: Errors, field: string, message: string): void {
  const list = errors[field] ?? [];
  list.push(message);
  errors[field] = list;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim().length > 0 ? value.trim() : undefined;
}

function isUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
