/**
 * Daraja's wire shapes, exactly as Safaricom sends them: note which numbers arrive as strings
 * (`expires_in`, `ResponseCode`, the STK query's `ResultCode`) and which as numbers (the callbacks'
 * `ResultCode`, `Amount`, `TransactionDate`, `PhoneNumber`). Received shapes are `unknown` until a
 * transformer has checked them; these types describe what a check lets through.
 */

/** `GET /oauth/v1/generate?grant_type=client_credentials`. */
export interface TokenResponse {
  readonly access_token: string;
  /** Seconds, as a string ("3599"). */
  readonly expires_in: string;
}

/** Every refusal: `{"requestId","errorCode":"404.001.03","errorMessage":"Invalid Access Token"}`. */
export interface ErrorBody {
  readonly requestId: string;
  readonly errorCode: string;
  readonly errorMessage: string;
}

export type TransactionType = 'CustomerPayBillOnline' | 'CustomerBuyGoodsOnline';

/** `POST /mpesa/stkpush/v1/processrequest`. */
export interface StkPushRequest {
  readonly BusinessShortCode: string;
  /** base64(BusinessShortCode + passkey + Timestamp). */
  readonly Password: string;
  /** yyyyMMddHHmmss in East Africa Time (UTC+3): the same value the Password was made with. */
  readonly Timestamp: string;
  readonly TransactionType: TransactionType;
  /** Whole shillings. */
  readonly Amount: number;
  /** The payer's MSISDN, 2547XXXXXXXX. */
  readonly PartyA: string;
  readonly PartyB: string;
  readonly PhoneNumber: string;
  readonly CallBackURL: string;
  /** At most 12 characters. */
  readonly AccountReference: string;
  /** At most 13 characters. */
  readonly TransactionDesc: string;
}

export interface StkPushResponse {
  readonly MerchantRequestID: string;
  readonly CheckoutRequestID: string;
  readonly ResponseCode: string;
  readonly ResponseDescription: string;
  readonly CustomerMessage: string;
}

/** `POST /mpesa/stkpushquery/v1/query`. While the prompt is open the answer is an `ErrorBody` (HTTP 500). */
export interface StkQueryRequest {
  readonly BusinessShortCode: string;
  readonly Password: string;
  readonly Timestamp: string;
  readonly CheckoutRequestID: string;
}

export interface StkQueryResponse {
  readonly ResponseCode: string;
  readonly ResponseDescription: string;
  readonly MerchantRequestID: string;
  readonly CheckoutRequestID: string;
  /** A string here ("1032"), unlike the callback. */
  readonly ResultCode: string;
  readonly ResultDesc: string;
}

export interface CallbackItem {
  readonly Name: string;
  /** Missing on some items (`Balance`). */
  readonly Value?: string | number;
}

/** The STK callback, POSTed to CallBackURL. */
export interface StkCallback {
  readonly Body: {
    readonly stkCallback: {
      readonly MerchantRequestID: string;
      readonly CheckoutRequestID: string;
      /** An integer here. */
      readonly ResultCode: number;
      readonly ResultDesc: string;
      /** Only on success: Amount, MpesaReceiptNumber, Balance, TransactionDate, PhoneNumber. */
      readonly CallbackMetadata?: { readonly Item: readonly CallbackItem[] };
    };
  };
}

export type B2cCommand = 'BusinessPayment' | 'SalaryPayment' | 'PromotionPayment';

/** `POST /mpesa/b2c/v3/paymentrequest`. */
export interface B2cRequest {
  /** Ours, derived from our reference: a retry of the same payout carries the same value. */
  readonly OriginatorConversationID: string;
  readonly InitiatorName: string;
  readonly SecurityCredential: string;
  readonly CommandID: B2cCommand;
  readonly Amount: number;
  readonly PartyA: string;
  readonly PartyB: string;
  readonly Remarks: string;
  readonly QueueTimeOutURL: string;
  readonly ResultURL: string;
  readonly Occasion: string;
}

/** The synchronous acknowledgement of B2C and Transaction Status requests. */
export interface AsyncAck {
  readonly ConversationID: string;
  readonly OriginatorConversationID: string;
  readonly ResponseCode: string;
  readonly ResponseDescription: string;
}

export interface ResultParameter {
  readonly Key: string;
  readonly Value?: string | number;
}

export interface ReferenceItem {
  readonly Key: string;
  readonly Value?: string | number;
}

/**
 * The asynchronous result of B2C and Transaction Status requests, POSTed to ResultURL (and, with a
 * timeout code, to QueueTimeOutURL). `ResultCode` is usually a number, sometimes a string
 * ("SFC_IC0003"); `ResultParameter` and `ReferenceItem` may be one object or a list.
 */
export interface AsyncResult {
  readonly Result: {
    readonly ResultType: number;
    readonly ResultCode: number | string;
    readonly ResultDesc: string;
    readonly OriginatorConversationID: string;
    readonly ConversationID: string;
    readonly TransactionID?: string;
    readonly ResultParameters?: { readonly ResultParameter: ResultParameter | readonly ResultParameter[] };
    readonly ReferenceData?: { readonly ReferenceItem: ReferenceItem | readonly ReferenceItem[] };
  };
}

/** `POST /mpesa/transactionstatus/v1/query`: itself asynchronous, answered on ResultURL. */
export interface TransactionStatusRequest {
  readonly Initiator: string;
  readonly SecurityCredential: string;
  readonly CommandID: 'TransactionStatusQuery';
  /** The M-Pesa receipt, when known; otherwise `OriginalConversationID` identifies the transaction. */
  readonly TransactionID?: string;
  readonly OriginalConversationID: string;
  readonly PartyA: string;
  /** 4: an organisation shortcode. */
  readonly IdentifierType: '4';
  readonly ResultURL: string;
  readonly QueueTimeOutURL: string;
  readonly Remarks: string;
  /** Echoed in the result's ReferenceData: we put our reference here to recognise the answer. */
  readonly Occasion: string;
}

/**
 * Our sandbox's acknowledgement of a Transaction Status query also carries the `Result` it sends to
 * ResultURL, so `getStatus` can answer at once in tests. Real Daraja sends only the `AsyncAck` part;
 * the adapter then answers `pending` and the result arrives as a webhook.
 */
export type TransactionStatusAck = AsyncAck & Partial<AsyncResult>;

/** What our webhook answers Daraja. */
export const callbackAccepted = { ResultCode: 0, ResultDesc: 'Accepted' } as const;
