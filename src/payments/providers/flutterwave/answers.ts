/**
 * Reading Flutterwave's answers: each `data` is checked for the fields we rely on before use, and
 * a charge or transfer becomes the contract's `ProviderTransaction`. A wrong shape is the
 * provider's fault (`unavailable`), never a crash.
 */
import { ProviderError, type ProviderTransaction } from '../provider.ts';
import {
  amountFromWire,
  chargeFailure,
  chargeStatus,
  transferFailure,
  transferStatus,
} from './transformers.ts';
import type { FlwTransaction, FlwTransfer } from './wire.ts';

/** A provider answer that does not have the shape we rely on. */
export function malformed(what: string, cause?: unknown): ProviderError {
  return new ProviderError('flutterwave', 'unavailable', `malformed answer: ${what}`, {
    retryable: false,
    cause,
  });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asTransaction(data: unknown): FlwTransaction {
  if (
    !isRecord(data) ||
    typeof data.id !== 'number' ||
    typeof data.tx_ref !== 'string' ||
    typeof data.status !== 'string' ||
    typeof data.currency !== 'string'
  ) {
    throw malformed('transaction');
  }
  return data as unknown as FlwTransaction;
}

export function asTransfer(data: unknown): FlwTransfer {
  if (
    !isRecord(data) ||
    typeof data.id !== 'number' ||
    typeof data.reference !== 'string' ||
    typeof data.status !== 'string' ||
    typeof data.currency !== 'string'
  ) {
    throw malformed('transfer');
  }
  return data as unknown as FlwTransfer;
}

function amountOf(value: unknown, currency: string): bigint {
  try {
    return amountFromWire(value, currency);
  } catch (error) {
    throw malformed(`amount: ${(error as Error).message}`, error);
  }
}

export function transactionView(tx: FlwTransaction): ProviderTransaction {
  const status = chargeStatus(tx.status);
  return {
    status,
    reference: tx.tx_ref,
    providerId: String(tx.id),
    amountMinor: amountOf(tx.amount, tx.currency),
    currency: tx.currency,
    ...(status === 'failed' ? { failure: chargeFailure(tx.processor_response, tx.status) } : {}),
    ...(tx.flw_ref ? { receipt: tx.flw_ref } : {}),
  };
}

export type TransferView = ProviderTransaction & { readonly providerId: string };

export function transferView(transfer: FlwTransfer): TransferView {
  const status = transferStatus(transfer.status);
  return {
    status,
    reference: transfer.reference,
    providerId: String(transfer.id),
    amountMinor: amountOf(transfer.amount, transfer.currency),
    currency: transfer.currency,
    ...(status === 'failed' ? { failure: transferFailure(transfer.complete_message) } : {}),
  };
}
