/**
 * Telegram Payments in the sandbox: sendInvoice, the pre-checkout round trip (the bot must answer
 * within 10 s or the payment fails), the `successful_payment` message, and Star refunds. `payInvoice`
 * is what a person's "Pay" tap does; the Bot API methods are what the bot calls.
 */
import { randomBytes } from 'node:crypto';
import type { Message, SuccessfulPayment, Update } from 'grammy/types';
import {
  applyChatMarkup,
  type MethodHandler,
  type SandboxState,
  sendAsUser,
  unixNow,
} from './sandbox-api.ts';
import type { ChatState } from './sandbox-chats.ts';
import { badRequest } from './sandbox-http.ts';
import { boolParam, intParam, jsonParam, readReplyMarkup, stringParam } from './sandbox-validate.ts';

/** Telegram's deadline for answerPreCheckoutQuery. */
export const preCheckoutTimeoutMs = 10_000;

export type InvoiceRecord = {
  readonly chatId: number;
  readonly messageId: number;
  readonly payload: string;
  readonly currency: string;
  readonly totalAmount: number;
};

export type PendingPreCheckout = {
  readonly resolve: (answer: { ok: boolean; errorMessage: string | undefined }) => void;
};

export type Charge = {
  readonly userId: number;
  readonly chatId: number;
  readonly invoice: InvoiceRecord;
  refunded: boolean;
};

/** How a person's payment attempt ended. */
export type PaymentOutcome =
  | { readonly status: 'paid'; readonly payment: SuccessfulPayment; readonly message: Message }
  | { readonly status: 'declined'; readonly errorMessage: string }
  | { readonly status: 'timeout' };

const queryId = () => BigInt(`0x${randomBytes(8).toString('hex')}`).toString();

function lengthBetween(value: string | undefined, min: number, max: number, what: string): string {
  if (value === undefined || value.length < min || value.length > max) throw badRequest(`${what}_INVALID`);
  return value;
}

function readPrices(value: unknown): { label: string; amount: number }[] {
  if (!Array.isArray(value) || value.length === 0) throw badRequest("can't parse prices JSON object");
  return value.map((price: unknown) => {
    const { label, amount } = (price ?? {}) as { label?: unknown; amount?: unknown };
    if (typeof label !== 'string' || !Number.isSafeInteger(amount))
      throw badRequest("can't parse prices JSON object");
    return { label, amount: amount as number };
  });
}

const sendInvoice: MethodHandler = (state, params) => {
  const chat = state.chat(params);
  const title = lengthBetween(stringParam(params, 'title'), 1, 32, 'TITLE');
  const description = lengthBetween(stringParam(params, 'description'), 1, 255, 'DESCRIPTION');
  const payload = stringParam(params, 'payload') ?? '';
  if (Buffer.byteLength(payload) < 1 || Buffer.byteLength(payload) > 128) throw badRequest('PAYLOAD_INVALID');
  const currency = stringParam(params, 'currency') ?? '';
  if (!/^[A-Z]{3}$/.test(currency)) throw badRequest('CURRENCY_INVALID');
  const prices = readPrices(jsonParam(params, 'prices', 'prices'));
  const providerToken = stringParam(params, 'provider_token') ?? '';
  if (currency === 'XTR' && (prices.length !== 1 || providerToken !== ''))
    throw badRequest('STARS_INVOICE_INVALID');
  if (currency !== 'XTR' && providerToken === '') throw badRequest('PAYMENT_PROVIDER_INVALID');
  const totalAmount = prices.reduce((sum, price) => sum + price.amount, 0);
  if (totalAmount <= 0) throw badRequest('CURRENCY_TOTAL_AMOUNT_INVALID');
  const markup = readReplyMarkup(params);
  if (markup && markup.kind !== 'inline') throw badRequest('inline keyboard expected');
  const message = {
    message_id: chat.nextMessageId(),
    from: state.bot,
    chat: chat.chat,
    date: unixNow(),
    invoice: {
      title,
      description,
      start_parameter: stringParam(params, 'start_parameter') ?? '',
      currency,
      total_amount: totalAmount,
    },
    ...(markup?.kind === 'inline' ? { reply_markup: markup.markup } : {}),
  } as Message;
  applyChatMarkup(chat, markup, message.message_id);
  chat.add('bot', message);
  state.invoices.set(`${chat.id}:${message.message_id}`, {
    chatId: chat.id,
    messageId: message.message_id,
    payload,
    currency,
    totalAmount,
  });
  return { result: message };
};

const answerPreCheckoutQuery: MethodHandler = (state, params) => {
  const id = stringParam(params, 'pre_checkout_query_id') ?? '';
  const pending = state.preCheckoutQueries.get(id);
  if (!pending) throw badRequest('query is too old and response timeout expired or query ID is invalid');
  const ok = boolParam(params, 'ok');
  const errorMessage = stringParam(params, 'error_message') || undefined;
  if (!ok && errorMessage === undefined) throw badRequest('ERROR_MESSAGE_EMPTY');
  state.preCheckoutQueries.delete(id);
  pending.resolve({ ok, errorMessage });
  return { result: true };
};

const refundStarPayment: MethodHandler = (state, params) => {
  const userId = intParam(params, 'user_id');
  const chargeId = stringParam(params, 'telegram_payment_charge_id') ?? '';
  const charge = state.charges.get(chargeId);
  if (!charge || charge.userId !== userId || charge.invoice.currency !== 'XTR')
    throw badRequest('CHARGE_ID_INVALID');
  if (charge.refunded) throw badRequest('CHARGE_ALREADY_REFUNDED');
  charge.refunded = true;
  const chat = state.chats.get(charge.chatId);
  if (chat)
    sendAsUser(state, chat, {
      refunded_payment: {
        currency: 'XTR',
        total_amount: charge.invoice.totalAmount,
        invoice_payload: charge.invoice.payload,
        telegram_payment_charge_id: chargeId,
      },
    } as Partial<Message>);
  return { result: true };
};

export const paymentMethods: Record<string, MethodHandler> = {
  sendinvoice: sendInvoice,
  answerprecheckoutquery: answerPreCheckoutQuery,
  refundstarpayment: refundStarPayment,
};

/**
 * A person taps "Pay" on an invoice (the given message, or the latest one): the bot gets a
 * `pre_checkout_query`, and on an `ok` answer within the deadline a `successful_payment` message.
 */
export async function payInvoice(
  state: SandboxState,
  chat: ChatState,
  messageId: number | undefined,
  timeoutMs = preCheckoutTimeoutMs,
): Promise<PaymentOutcome> {
  const invoice = findInvoice(state, chat, messageId);
  const id = queryId();
  const answer = new Promise<{ ok: boolean; errorMessage: string | undefined } | undefined>((resolve) => {
    const timer = setTimeout(() => {
      state.preCheckoutQueries.delete(id);
      resolve(undefined);
    }, timeoutMs);
    state.preCheckoutQueries.set(id, {
      resolve: (result) => {
        clearTimeout(timer);
        resolve(result);
      },
    });
  });
  state.updates.push({
    update_id: state.updates.nextId(),
    pre_checkout_query: {
      id,
      from: chat.user,
      currency: invoice.currency,
      total_amount: invoice.totalAmount,
      invoice_payload: invoice.payload,
    },
  } as Update);
  const result = await answer;
  if (!result) return { status: 'timeout' };
  if (!result.ok) return { status: 'declined', errorMessage: result.errorMessage ?? '' };
  const payment: SuccessfulPayment = {
    currency: invoice.currency,
    total_amount: invoice.totalAmount,
    invoice_payload: invoice.payload,
    telegram_payment_charge_id: `${invoice.currency === 'XTR' ? 'stxSandbox' : 'tgSandbox'}${randomBytes(12).toString('hex')}`,
    provider_payment_charge_id: invoice.currency === 'XTR' ? '' : `sandbox_${randomBytes(8).toString('hex')}`,
  };
  state.charges.set(payment.telegram_payment_charge_id, {
    userId: chat.id,
    chatId: chat.id,
    invoice,
    refunded: false,
  });
  const message = sendAsUser(state, chat, { successful_payment: payment });
  return { status: 'paid', payment, message };
}

function findInvoice(state: SandboxState, chat: ChatState, messageId: number | undefined): InvoiceRecord {
  if (messageId !== undefined) {
    const invoice = state.invoices.get(`${chat.id}:${messageId}`);
    if (!invoice || chat.get(messageId)?.deleted)
      throw new Error(`message ${messageId} is not an invoice in this chat`);
    return invoice;
  }
  const latest = [...chat.entries()]
    .reverse()
    .find((entry) => !entry.deleted && entry.message.invoice !== undefined);
  const invoice = latest && state.invoices.get(`${chat.id}:${latest.message.message_id}`);
  if (!invoice) throw new Error('the bot has sent no invoice in this chat');
  return invoice;
}
