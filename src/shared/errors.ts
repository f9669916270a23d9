/**
 * The one catalogue of error codes that ChatPay reports. Every code a caller can see is here, with its
 * type (a coarse class a client can switch on), the HTTP status it maps to and a default message.
 * `docs/errors.md` documents each code; a test fails when one is missing there.
 */
export interface ErrorSpec {
  readonly type: ErrorType;
  readonly status: number;
  readonly message: string;
}

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'rate_limit_error'
  | 'ledger_error'
  | 'api_error';

export const errorCatalogue = {
  // Money and currencies.
  amount_invalid: {
    type: 'invalid_request_error',
    status: 400,
    message: 'The amount must be a decimal string of ASCII digits in major units, like "12.50".',
  },
  amount_too_precise: {
    type: 'invalid_request_error',
    status: 400,
    message: 'The amount has more decimal places than the currency allows.',
  },
  amount_must_be_positive: {
    type: 'invalid_request_error',
    status: 400,
    message: 'The amount must be greater than zero.',
  },
  amount_too_large: {
    type: 'invalid_request_error',
    status: 400,
    message: 'The amount is larger than the largest amount the ledger can hold.',
  },
  currency_unknown: {
    type: 'invalid_request_error',
    status: 400,
    message: 'The currency is not one ChatPay supports.',
  },
  // Configuration (reported at start-up, never to HTTP clients).
  config_invalid: { type: 'api_error', status: 500, message: 'The configuration is invalid.' },
  // Ledger.
  ledger_account_invalid: {
    type: 'invalid_request_error',
    status: 400,
    message: 'The ledger account is invalid.',
  },
  ledger_account_exists_with_different_fields: {
    type: 'conflict_error',
    status: 409,
    message: 'A ledger account with this id already exists with different fields.',
  },
  ledger_account_not_found: { type: 'not_found_error', status: 404, message: 'No such ledger account.' },
  ledger_transfer_not_found: { type: 'not_found_error', status: 404, message: 'No such ledger transfer.' },
  ledger_transfer_not_reversible: {
    type: 'invalid_request_error',
    status: 400,
    message: 'Only posted transfers can be reversed; void a pending transfer instead.',
  },
  ledger_batch_too_large: {
    type: 'invalid_request_error',
    status: 400,
    message: 'Too many transfers in one request.',
  },
  ledger_overloaded: {
    type: 'api_error',
    status: 503,
    message: 'The ledger is overloaded; retry with the same transfer ids.',
  },
  ledger_unavailable: {
    type: 'api_error',
    status: 503,
    message: 'The ledger could not commit; retry with the same transfer ids.',
  },
  ledger_closed: { type: 'api_error', status: 503, message: 'The ledger is shutting down.' },
  // Generic.
  internal_error: { type: 'api_error', status: 500, message: 'Something went wrong on our side.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorCatalogue;

export interface ChatPayErrorOptions {
  /** The request field the error is about, for example `amount`. */
  readonly param?: string;
  /** A message more specific than the catalogue's default. Never include secrets or internals. */
  readonly message?: string;
  /** Structured context for logs and tests; never sent to clients. */
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/** The one error class ChatPay throws for expected failures. */
export class ChatPayError extends Error {
  readonly code: ErrorCode;
  readonly type: ErrorType;
  readonly status: number;
  readonly param: string | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, options: ChatPayErrorOptions = {}) {
    const spec: ErrorSpec = errorCatalogue[code];
    super(
      options.message ?? spec.message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'ChatPayError';
    this.code = code;
    this.type = spec.type;
    this.status = spec.status;
    this.param = options.param;
    this.details = options.details;
  }
}

export function isChatPayError(error: unknown, code?: ErrorCode): error is ChatPayError {
  return error instanceof ChatPayError && (code === undefined || error.code === code);
}
