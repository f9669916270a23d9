/**
 * What the Flutterwave sandbox knows and how its API answers, without HTTP: payment links, charges,
 * transfers and refunds in memory, each answer in Flutterwave's `{status, message, data}` envelope
 * with its field types (numeric ids and amounts, string references). sandbox.ts serves it.
 */
import { randomBytes } from 'node:crypto';
import { formatAmount } from '../../../shared/money.ts';
import {
  accessBankCode,
  banksByCountry,
  blacklistedAccount,
  type CardOutcome,
  sandboxCurrencies,
  testAccounts,
  testCards,
  testOtps,
  transferOutcome,
  unknownCard,
} from './sandbox-data.ts';
import { amountFromWire } from './transformers.ts';
import type { FlwTransaction, FlwTransfer } from './wire.ts';

export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface PaymentLink {
  readonly token: string;
  readonly txRef: string;
  readonly amount: number;
  readonly currency: string;
  readonly redirectUrl: string;
  readonly customer: { readonly email: string; readonly name?: string; readonly phonenumber?: string };
  readonly title: string;
  readonly description: string;
  readonly chargeIds: number[];
}

interface TransferRecord {
  readonly data: Mutable<FlwTransfer>;
  readonly callbackUrl: string | undefined;
}

export interface StateHooks {
  /** Sends a webhook (charge events to the dashboard URL, transfer events to the callback URL). */
  readonly webhook: (url: string | undefined, body: object) => void;
  /** Runs `task` after `ms` (timers the sandbox cancels on close). */
  readonly schedule: (task: () => void, ms: number) => void;
  readonly dashboardWebhookUrl: () => string | undefined;
  /** How long a bank takes to settle a transfer. */
  readonly settleMs: number;
}

export type CheckoutResult =
  | { readonly kind: 'redirect'; readonly url: string }
  | { readonly kind: 'page'; readonly status: number; readonly title: string; readonly message: string };

export function success(message: string, data: unknown, extra: object = {}): ApiAnswer {
  return { status: 200, body: { status: 'success', message, data, ...extra } };
}

export function failure(status: number, message: string): ApiAnswer {
  return { status, body: { status: 'error', message, data: null } };
}

const merchantAccountId = 17321;
const notFoundCharge = 'No transaction was found for this id';

function record(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** A positive amount Flutterwave would take for the currency, as the number it echoes back. */
function wireAmount(value: unknown, currency: string): { number: number; minor: bigint } | undefined {
  try {
    const minor = amountFromWire(value, currency);
    return minor > 0n ? { number: Number(formatAmount(minor, currency)), minor } : undefined;
  } catch {
    return undefined;
  }
}

export class SandboxState {
  readonly #hooks: StateHooks;
  readonly #links = new Map<string, PaymentLink>();
  readonly #linksByRef = new Map<string, PaymentLink>();
  readonly #charges = new Map<number, Mutable<FlwTransaction>>();
  readonly #transfers = new Map<number, TransferRecord>();
  readonly #transferIdsByRef = new Map<string, number>();
  readonly #refundedMinor = new Map<number, bigint>();
  #nextId = 4_000_000 + randomBytes(2).readUInt16BE(0) * 10;

  constructor(hooks: StateHooks) {
    this.#hooks = hooks;
  }

  #id(): number {
    this.#nextId += 1;
    return this.#nextId;
  }

  /** `POST /v3/payments`: a hosted link; the same pending tx_ref gets the same link back. */
  createPayment(raw: unknown, baseUrl: string): ApiAnswer {
    const body = record(raw);
    const txRef = text(body.tx_ref);
    const currency = text(body.currency) ?? 'NGN';
    const customer = record(body.customer);
    const email = text(customer.email);
    const redirectUrl = text(body.redirect_url);
    if (!txRef) return failure(400, 'tx_ref is required');
    if (!sandboxCurrencies.has(currency)) return failure(400, 'Invalid currency');
    const amount = wireAmount(body.amount, currency);
    if (!amount) return failure(400, 'amount must be a positive number');
    if (!email) return failure(400, 'customer.email is required');
    if (!redirectUrl || !/^https?:\/\//.test(redirectUrl)) return failure(400, 'redirect_url is required');
    const existing = this.#linksByRef.get(txRef);
    if (existing) {
      const paid = existing.chargeIds.some((id) => this.#charges.get(id)?.status === 'successful');
      if (paid || existing.amount !== amount.number || existing.currency !== currency) {
        return failure(400, 'Duplicate tx_ref: use a unique transaction reference');
      }
      return success('Hosting Link', { link: `${baseUrl}/v3/hosted/pay/${existing.token}` });
    }
    const customizations = record(body.customizations);
    const link: PaymentLink = {
      token: randomBytes(10).toString('hex'),
      txRef,
      amount: amount.number,
      currency,
      redirectUrl,
      customer: {
        email,
        ...(text(customer.name) ? { name: text(customer.name) } : {}),
        ...(text(customer.phonenumber) ? { phonenumber: text(customer.phonenumber) } : {}),
      },
      title: text(customizations.title) ?? 'Payment',
      description: text(customizations.description) ?? '',
      chargeIds: [],
    };
    this.#links.set(link.token, link);
    this.#linksByRef.set(txRef, link);
    return success('Hosting Link', { link: `${baseUrl}/v3/hosted/pay/${link.token}` });
  }

  checkoutView(token: string) {
    const link = this.#links.get(token);
    if (!link) return undefined;
    return {
      token,
      amount: formatAmount(wireAmount(link.amount, link.currency)?.minor ?? 0n, link.currency),
      currency: link.currency,
      title: link.title,
      description: link.description,
      email: link.customer.email,
    };
  }

  /** The payer submits the card form: a charge is created and, once final, announced. */
  payWithCard(token: string, form: URLSearchParams): CheckoutResult {
    const link = this.#links.get(token);
    if (!link)
      return { kind: 'page', status: 404, title: 'Not found', message: 'This payment link does not exist.' };
    if (link.chargeIds.some((id) => this.#charges.get(id)?.status === 'successful')) {
      return {
        kind: 'page',
        status: 409,
        title: 'Already paid',
        message: 'This payment has already been completed.',
      };
    }
    const cardNumber = (form.get('card_number') ?? '').replace(/[\s-]/g, '');
    if (!/^[0-9]{12,19}$/.test(cardNumber)) {
      return { kind: 'page', status: 400, title: 'Invalid card', message: 'Enter a valid card number.' };
    }
    const otp = (form.get('otp') ?? '').trim();
    const card = testCards[cardNumber] ?? unknownCard;
    const charge = this.#charge(link, cardNumber, card, form.get('expiry') ?? '09/32', otp);
    link.chargeIds.push(charge.id);
    this.#charges.set(charge.id, charge);
    if (charge.status === 'pending') {
      return {
        kind: 'page',
        status: 200,
        title: 'Enter OTP',
        message: 'The charge is awaiting OTP validation.',
      };
    }
    this.#hooks.webhook(this.#hooks.dashboardWebhookUrl(), {
      event: 'charge.completed',
      data: charge,
      'event.type': 'CARD_TRANSACTION',
    });
    const query = new URLSearchParams({
      status: charge.status,
      tx_ref: link.txRef,
      transaction_id: String(charge.id),
    });
    return {
      kind: 'redirect',
      url: `${link.redirectUrl}${link.redirectUrl.includes('?') ? '&' : '?'}${query}`,
    };
  }

  /** "Cancel payment": Flutterwave creates no charge and sends the payer back. */
  cancel(token: string): CheckoutResult {
    const link = this.#links.get(token);
    if (!link)
      return { kind: 'page', status: 404, title: 'Not found', message: 'This payment link does not exist.' };
    const query = new URLSearchParams({ status: 'cancelled', tx_ref: link.txRef });
    return {
      kind: 'redirect',
      url: `${link.redirectUrl}${link.redirectUrl.includes('?') ? '&' : '?'}${query}`,
    };
  }

  #charge(link: PaymentLink, cardNumber: string, card: CardOutcome, expiry: string, otp: string) {
    // Flutterwave's special OTPs fail an otherwise good card; no OTP leaves the charge awaiting one.
    const otpFailure = testOtps[otp];
    const status: FlwTransaction['status'] =
      otp.length === 0 ? 'pending' : otpFailure !== undefined ? 'failed' : card.status;
    const processorResponse =
      otp.length === 0 ? 'Pending validation' : (otpFailure ?? card.processorResponse);
    const minor = wireAmount(link.amount, link.currency)?.minor ?? 0n;
    const now = new Date().toISOString();
    const charge: Mutable<FlwTransaction> = {
      id: this.#id(),
      tx_ref: link.txRef,
      flw_ref: `FLW-MOCK-${randomBytes(16).toString('hex')}`,
      amount: link.amount,
      currency: link.currency,
      charged_amount: link.amount,
      // 1.4% local card fee, computed in minor units so the sandbox itself never rounds floats.
      app_fee: Number(formatAmount((minor * 14n) / 1000n, link.currency)),
      merchant_fee: 0,
      processor_response: processorResponse,
      auth_model: card.authModel,
      narration: 'CARD Transaction ',
      status,
      payment_type: 'card',
      created_at: now,
      account_id: merchantAccountId,
      customer: {
        id: this.#id(),
        name: link.customer.name ?? 'Anonymous customer',
        phone_number: link.customer.phonenumber ?? null,
        email: link.customer.email,
        created_at: now,
      },
      card: {
        first_6digits: cardNumber.slice(0, 6),
        last_4digits: cardNumber.slice(-4),
        issuer: `${card.type} ACCESS BANK PLC  CREDIT`,
        country: 'NG',
        type: card.type,
        expiry,
      },
    };
    return charge;
  }

  /** `GET /v3/transactions/{id}/verify`. */
  verify(id: string): ApiAnswer {
    const charge = this.#charges.get(Number(id));
    if (!/^[0-9]+$/.test(id) || !charge) return failure(400, notFoundCharge);
    return success('Transaction fetched successfully', charge);
  }

  /** `GET /v3/transactions/verify_by_reference?tx_ref=`: the latest charge on the link. */
  verifyByReference(txRef: string | null): ApiAnswer {
    if (!txRef) return failure(400, 'tx_ref is required');
    const ids = this.#linksByRef.get(txRef)?.chargeIds ?? [];
    const charge = this.#charges.get(ids[ids.length - 1] ?? -1);
    if (!charge) return failure(400, notFoundCharge);
    return success('Transaction fetched successfully', charge);
  }

  /** `POST /v3/transactions/{id}/refund`: whole or partial, never beyond what was paid. */
  refund(id: string, raw: unknown): ApiAnswer {
    const charge = this.#charges.get(Number(id));
    if (!/^[0-9]+$/.test(id) || !charge) return failure(400, notFoundCharge);
    if (charge.status !== 'successful') return failure(400, 'Only successful transactions can be refunded');
    const body = record(raw);
    const paid = wireAmount(charge.amount, charge.currency)?.minor ?? 0n;
    const already = this.#refundedMinor.get(charge.id) ?? 0n;
    const amount =
      body.amount === undefined
        ? wireAmount(charge.amount, charge.currency)
        : wireAmount(body.amount, charge.currency);
    if (!amount) return failure(400, 'amount must be a positive number');
    if (already + amount.minor > paid)
      return failure(400, 'Refund amount cannot be greater than the amount left to refund');
    this.#refundedMinor.set(charge.id, already + amount.minor);
    return success('Transaction refund initiated', {
      id: this.#id(),
      account_id: merchantAccountId,
      tx_id: charge.id,
      flw_ref: `URF_${Date.now()}_${randomBytes(3).toString('hex')}`,
      wallet_id: 74639,
      amount_refunded: amount.number,
      status: 'completed',
      destination: 'payment_source',
      meta: { source: 'availablebalance' },
      created_at: new Date().toISOString(),
    });
  }

  /** `POST /v3/transfers`: queued as NEW, settled (and announced) after `settleMs`. */
  createTransfer(raw: unknown): ApiAnswer {
    const body = record(raw);
    const bank = text(body.account_bank);
    const account = text(body.account_number);
    const currency = text(body.currency) ?? 'NGN';
    const reference = text(body.reference) ?? randomBytes(8).toString('hex');
    if (!bank) return failure(400, 'account_bank is required');
    if (!account) return failure(400, 'account_number is required');
    if (!sandboxCurrencies.has(currency)) return failure(400, 'Invalid currency');
    const amount = wireAmount(body.amount, currency);
    if (!amount) return failure(400, 'amount must be a positive number');
    if (this.#transferIdsByRef.has(reference)) return failure(400, 'Payout with this ref already exists');
    if (bank === accessBankCode && account === blacklistedAccount) {
      return failure(400, 'Payout was made to a blacklisted account number');
    }
    const data: Mutable<FlwTransfer> = {
      id: this.#id(),
      account_number: account,
      bank_code: bank,
      full_name:
        text(body.beneficiary_name) ?? (bank === accessBankCode ? (testAccounts[account] ?? 'N/A') : 'N/A'),
      created_at: new Date().toISOString(),
      currency,
      debit_currency: text(body.debit_currency) ?? currency,
      amount: amount.number,
      fee: currency === 'NGN' ? 10.75 : 0,
      status: 'NEW',
      reference,
      meta: body.meta ?? null,
      narration: text(body.narration) ?? '',
      approver: null,
      complete_message: '',
      requires_approval: 0,
      is_approved: 1,
      bank_name: banksByCountry.NG?.find((b) => b.code === bank)?.name.toUpperCase() ?? 'N/A',
    };
    this.#transfers.set(data.id, { data, callbackUrl: text(body.callback_url) });
    this.#transferIdsByRef.set(reference, data.id);
    const outcome = transferOutcome(bank, account, reference);
    if (outcome.status !== 'NEW') {
      this.#hooks.schedule(
        () => this.#settle(data.id, outcome.status, outcome.completeMessage),
        this.#hooks.settleMs,
      );
    }
    return success('Transfer Queued Successfully', { ...data });
  }

  #settle(id: number, status: 'SUCCESSFUL' | 'FAILED', completeMessage: string): void {
    const transfer = this.#transfers.get(id);
    if (!transfer) return;
    transfer.data.status = status;
    transfer.data.complete_message = completeMessage;
    const { full_name, ...rest } = transfer.data;
    // The webhook spells the holder `fullname`, unlike the API's `full_name`.
    this.#hooks.webhook(transfer.callbackUrl ?? this.#hooks.dashboardWebhookUrl(), {
      event: 'transfer.completed',
      'event.type': 'Transfer',
      data: { ...rest, fullname: full_name },
    });
  }

  /** `GET /v3/transfers/{id}`. */
  transfer(id: string): ApiAnswer {
    const found = this.#transfers.get(Number(id));
    if (!/^[0-9]+$/.test(id) || !found) return failure(404, 'Transfer not found');
    return success('Transfer fetched', found.data);
  }

  /** `GET /v3/transfers?reference=`. */
  transfers(reference: string | null): ApiAnswer {
    const all = [...this.#transfers.values()].map((t) => t.data);
    const data = reference === null ? all : all.filter((t) => t.reference === reference);
    return success('Transfers fetched', data, {
      meta: { page_info: { total: data.length, current_page: 1, total_pages: 1 } },
    });
  }

  /** `GET /v3/banks/{country}`. */
  banks(country: string): ApiAnswer {
    const banks = banksByCountry[country.toUpperCase()];
    if (!banks) return failure(400, 'Invalid country code');
    return success('Banks fetched successfully', banks);
  }

  /** `POST /v3/accounts/resolve`: the documented Access Bank test accounts resolve. */
  resolve(raw: unknown): ApiAnswer {
    const body = record(raw);
    const account = text(body.account_number);
    const bank = text(body.account_bank);
    if (!account) return failure(400, 'account_number is required');
    if (!bank) return failure(400, 'account_bank is required');
    const name = bank === accessBankCode ? testAccounts[account] : undefined;
    if (!name) return failure(400, 'Sorry, that account number is invalid, please check and try again');
    return success('Account details fetched', { account_number: account, account_name: name.toUpperCase() });
  }
}
