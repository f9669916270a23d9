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
  server_overloaded: {
    type: 'api_error',
    status: 503,
    message: 'Too much work is waiting; nothing was done. Retry the same request.',
  },
  ledger_unavailable: {
    type: 'api_error',
    status: 503,
    message: 'The ledger could not commit; retry with the same transfer ids.',
  },
  ledger_closed: { type: 'api_error', status: 503, message: 'The ledger is shutting down.' },
  audit_unavailable: {
    type: 'api_error',
    status: 503,
    message:
      'The request may have taken effect, but its audit entry could not be written. Retry the same request with the same Idempotency-Key.',
  },
  // Requests.
  validation_failed: {
    type: 'invalid_request_error',
    status: 400,
    message: 'The request is invalid; `param` names the field.',
  },
  route_not_found: { type: 'not_found_error', status: 404, message: 'No such endpoint.' },
  body_too_large: { type: 'invalid_request_error', status: 413, message: 'The request body is too large.' },
  unsupported_media_type: {
    type: 'invalid_request_error',
    status: 415,
    message: 'Send JSON with Content-Type: application/json.',
  },
  idempotency_key_invalid: {
    type: 'invalid_request_error',
    status: 400,
    message: 'Idempotency-Key must be 1–255 printable ASCII characters.',
  },
  idempotency_key_reused: {
    type: 'invalid_request_error',
    status: 422,
    message: 'This Idempotency-Key was used with a different request.',
  },
  idempotency_key_in_progress: {
    type: 'conflict_error',
    status: 409,
    message: 'A request with this Idempotency-Key is still being processed.',
  },
  rate_limited: {
    type: 'rate_limit_error',
    status: 429,
    message: 'Too many requests; retry after Retry-After seconds.',
  },
  // Authentication and access.
  unauthenticated: {
    type: 'authentication_error',
    status: 401,
    message: 'Authenticate with a valid Bearer token or API key.',
  },
  invalid_credentials: {
    type: 'authentication_error',
    status: 401,
    message: 'Wrong email, phone or password.',
  },
  refresh_token_invalid: {
    type: 'authentication_error',
    status: 401,
    message: 'The refresh token is invalid, expired or already used.',
  },
  forbidden: { type: 'permission_error', status: 403, message: 'You may not do this.' },
  // The console's sign-in.
  sign_in_throttled: {
    type: 'rate_limit_error',
    status: 429,
    message: 'Too many failed sign-ins; retry after Retry-After seconds.',
  },
  sign_in_expired: {
    type: 'authentication_error',
    status: 401,
    message: 'This sign-in has expired or was already completed; start again with your password.',
  },
  totp_invalid: {
    type: 'authentication_error',
    status: 401,
    message: 'Wrong or already used authentication code.',
  },
  csrf_token_invalid: {
    type: 'permission_error',
    status: 403,
    message: "Send the session's CSRF token in the X-CSRF-Token header.",
  },
  merchant_not_found: { type: 'not_found_error', status: 404, message: 'No such merchant.' },
  api_key_not_found: { type: 'not_found_error', status: 404, message: 'No such API key.' },
  // Users.
  user_exists: {
    type: 'conflict_error',
    status: 409,
    message: 'A user with this email or phone already exists.',
  },
  phone_invalid: { type: 'invalid_request_error', status: 400, message: 'The phone number is not valid.' },
  password_too_weak: {
    type: 'invalid_request_error',
    status: 400,
    message: 'The password must be 10–128 characters.',
  },
  pin_invalid_format: { type: 'invalid_request_error', status: 400, message: 'A PIN is 4 to 6 digits.' },
  pin_required: {
    type: 'invalid_request_error',
    status: 403,
    message: 'This transfer needs your transaction PIN.',
  },
  pin_not_set: {
    type: 'invalid_request_error',
    status: 403,
    message: 'Set a transaction PIN first (PUT /v1/me/pin).',
  },
  pin_incorrect: { type: 'authentication_error', status: 403, message: 'The PIN is wrong.' },
  pin_locked: {
    type: 'permission_error',
    status: 423,
    message: 'Too many wrong PINs; the PIN is locked for 15 minutes.',
  },
  // Wallets and transfers.
  recipient_not_found: { type: 'not_found_error', status: 404, message: 'No user matches the recipient.' },
  transfer_to_self: {
    type: 'invalid_request_error',
    status: 400,
    message: 'You cannot send money to yourself.',
  },
  insufficient_funds: {
    type: 'invalid_request_error',
    status: 402,
    message: 'The wallet balance is too low.',
  },
  transfer_not_found: { type: 'not_found_error', status: 404, message: 'No such transfer.' },
  wallet_not_found: { type: 'not_found_error', status: 404, message: 'No wallet in this currency.' },
  // Payments and providers.
  provider_unknown: {
    type: 'invalid_request_error',
    status: 400,
    message: 'No such payment provider is enabled here.',
  },
  provider_mode_mismatch: {
    type: 'invalid_request_error',
    status: 400,
    message:
      'This provider runs in the other mode: test keys and test-mode wallets use sandboxes, live keys and live wallets real providers.',
  },
  provider_unavailable: {
    type: 'api_error',
    status: 503,
    message: 'The payment provider is unavailable right now; try again later or use another provider.',
  },
  provider_error: {
    type: 'api_error',
    status: 502,
    message: 'The payment provider refused or failed the request.',
  },
  operation_not_supported: {
    type: 'invalid_request_error',
    status: 400,
    message: 'The provider does not support this operation.',
  },
  currency_not_supported: {
    type: 'invalid_request_error',
    status: 400,
    message: 'The provider does not support this currency.',
  },
  amount_not_supported: {
    type: 'invalid_request_error',
    status: 400,
    message: 'The provider cannot take this amount (for example, M-Pesa takes whole shillings only).',
  },
  payer_required: {
    type: 'invalid_request_error',
    status: 400,
    message: 'This provider needs the payer’s phone number or email address.',
  },
  destination_invalid: {
    type: 'invalid_request_error',
    status: 400,
    message: 'The payout destination is not one this provider can pay.',
  },
  amount_below_minimum: {
    type: 'invalid_request_error',
    status: 400,
    message: 'The amount is below the minimum.',
  },
  limit_exceeded: {
    type: 'invalid_request_error',
    status: 400,
    message: 'The amount passes a limit.',
  },
  payment_declined: {
    type: 'invalid_request_error',
    status: 402,
    message: 'The provider declined the payment.',
  },
  deposit_not_found: { type: 'not_found_error', status: 404, message: 'No such deposit.' },
  withdrawal_not_found: { type: 'not_found_error', status: 404, message: 'No such withdrawal.' },
  payment_not_found: { type: 'not_found_error', status: 404, message: 'No such payment.' },
  payout_not_found: { type: 'not_found_error', status: 404, message: 'No such payout.' },
  withdrawal_not_awaiting_approval: {
    type: 'conflict_error',
    status: 409,
    message: 'The withdrawal is not waiting for approval.',
  },
  adjustment_not_found: { type: 'not_found_error', status: 404, message: 'No such adjustment.' },
  adjustment_not_pending: {
    type: 'conflict_error',
    status: 409,
    message: 'This adjustment was already approved or rejected.',
  },
  approval_by_requester: {
    type: 'permission_error',
    status: 403,
    message: 'Another operator must approve this: nobody approves their own request.',
  },
  review_not_open: {
    type: 'conflict_error',
    status: 409,
    message: 'The item is not waiting for review.',
  },
  refund_not_possible: {
    type: 'invalid_request_error',
    status: 400,
    message: 'Only succeeded payments can be refunded, up to the amount not yet refunded.',
  },
  webhook_signature_invalid: {
    type: 'authentication_error',
    status: 401,
    message: 'The webhook signature is missing or invalid.',
  },
  webhook_malformed: {
    type: 'invalid_request_error',
    status: 400,
    message: 'The webhook body is malformed.',
  },
  webhook_url_not_allowed: {
    type: 'invalid_request_error',
    status: 422,
    message: 'Webhook endpoints must be on the public internet.',
  },
  webhook_endpoint_not_found: { type: 'not_found_error', status: 404, message: 'No such webhook endpoint.' },
  webhook_delivery_not_found: { type: 'not_found_error', status: 404, message: 'No such webhook delivery.' },
  job_not_found: { type: 'not_found_error', status: 404, message: 'No such dead job.' },
  // Console: reports.
  transaction_not_found: { type: 'not_found_error', status: 404, message: 'No such transaction.' },
  export_too_large: {
    type: 'invalid_request_error',
    status: 400,
    message: 'Too many transactions match for one file; narrow the filters.',
  },
  // Console: users and operators.
  user_not_found: { type: 'not_found_error', status: 404, message: 'No such user.' },
  user_frozen: {
    type: 'permission_error',
    status: 403,
    message: 'This account is frozen: it cannot send, withdraw or deposit money. Contact support.',
  },
  user_already_frozen: { type: 'conflict_error', status: 409, message: 'The user is already frozen.' },
  user_not_frozen: { type: 'conflict_error', status: 409, message: 'The user is not frozen.' },
  operator_not_found: { type: 'not_found_error', status: 404, message: 'No such operator.' },
  operator_self_action: {
    type: 'permission_error',
    status: 403,
    message: 'Operators cannot do this to their own account; another operator must.',
  },
  last_admin: {
    type: 'conflict_error',
    status: 409,
    message: 'The last admin cannot be demoted: make another admin first.',
  },
  // KYC documents.
  kyc_upload_invalid: {
    type: 'invalid_request_error',
    status: 400,
    message: 'Send one non-empty file in the field `file`, as multipart/form-data, with `kind` and `level`.',
  },
  kyc_file_type_unsupported: {
    type: 'invalid_request_error',
    status: 415,
    message: 'The file must be a JPEG, PNG or PDF (judged by its content, not its name).',
  },
  kyc_file_too_large: {
    type: 'invalid_request_error',
    status: 413,
    message: 'The file is larger than KYC documents may be.',
  },
  kyc_too_many_pending: {
    type: 'conflict_error',
    status: 409,
    message: 'Too many documents are waiting for review; send more once they are reviewed.',
  },
  kyc_document_not_found: { type: 'not_found_error', status: 404, message: 'No such KYC document.' },
  kyc_document_already_decided: {
    type: 'conflict_error',
    status: 409,
    message: 'The document was already approved or rejected.',
  },
  kyc_storage_unavailable: {
    type: 'api_error',
    status: 503,
    message: 'The document store is unavailable right now; try again later.',
  },
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
