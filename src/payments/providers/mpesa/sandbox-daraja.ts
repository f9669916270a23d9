/**
 * The sandbox's Daraja: credentials, tokens, transactions in memory, and one method per API with
 * Daraja's checks and answers. HTTP, failure injection and the control surface are `sandbox.ts`'s.
 */
import {
  constants,
  generateKeyPairSync,
  type KeyObject,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  randomInt,
} from 'node:crypto';
import {
  type B2cRecord,
  b2cOutcomeFor,
  b2cResultBody,
  ids,
  initiatorInvalid,
  queueTimeout,
  type ResultOutcome,
  type StkRecord,
  stkCallbackBody,
  stkOutcomeFor,
  transactionStatusResultBody,
} from './sandbox-outcomes.ts';
import { parseDarajaTimestamp, stkPassword } from './transformers.ts';

export const sandboxShortcode = '174379';
export const sandboxB2cShortcode = '600996';
export const sandboxInitiatorName = 'testapi';
const tokenLifetimeSeconds = 3599;
const timestampSkewMsMax = 5 * 60 * 1000;
const msisdnPattern = /^254[17][0-9]{8}$/;
const stkTypes = new Set(['CustomerPayBillOnline', 'CustomerBuyGoodsOnline']);
const b2cCommands = new Set(['BusinessPayment', 'SalaryPayment', 'PromotionPayment']);

/** A refusal in Daraja's shape: `{"requestId","errorCode","errorMessage"}` with an HTTP status. */
export class DarajaError extends Error {
  readonly status: number;
  readonly errorCode: string;
  constructor(status: number, errorCode: string, errorMessage: string) {
    super(errorMessage);
    this.status = status;
    this.errorCode = errorCode;
  }
}

export const badRequest = (field: string) =>
  new DarajaError(400, '400.002.02', `Bad Request - Invalid ${field}`);

export interface DarajaSimulatorOptions {
  readonly payerDelayMs: number;
  /** Runs `task` after `delayMs` unless the sandbox has closed meanwhile. */
  readonly later: (delayMs: number, task: () => void) => void;
  /** Delivers a callback (through the `CallbackSender` and its mode). */
  readonly post: (url: string, body: unknown) => void;
}

export type Handler = (body: Record<string, unknown>) => unknown;

export class DarajaSimulator {
  readonly consumerKey = randomBytes(24).toString('base64url');
  readonly consumerSecret = randomBytes(24).toString('base64url');
  readonly passkey = randomBytes(32).toString('hex');
  readonly securityCredential: string;
  readonly publicKeyPem: string;
  readonly #options: DarajaSimulatorOptions;
  readonly #privateKey: KeyObject;
  readonly #initiatorPassword = `Sandbox${randomBytes(6).toString('hex')}!`;
  readonly #tokens = new Map<string, number>();
  readonly #stk = new Map<string, StkRecord>();
  readonly #b2c = new Map<string, B2cRecord>();

  constructor(options: DarajaSimulatorOptions) {
    this.#options = options;
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.#privateKey = privateKey;
    this.publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    this.securityCredential = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_PADDING },
      Buffer.from(this.#initiatorPassword, 'utf8'),
    ).toString('base64');
  }

  /** The API handlers by path (B2C on both versions). */
  routes(): Readonly<Record<string, Handler>> {
    return {
      '/mpesa/stkpush/v1/processrequest': (body) => this.stkPush(body),
      '/mpesa/stkpushquery/v1/query': (body) => this.stkQuery(body),
      '/mpesa/b2c/v3/paymentrequest': (body) => this.b2cPayment(body),
      '/mpesa/b2c/v1/paymentrequest': (body) => this.b2cPayment(body),
      '/mpesa/transactionstatus/v1/query': (body) => this.transactionStatus(body),
    };
  }

  issueToken(authorization: string | undefined, grantType: string | null): unknown {
    if (grantType !== 'client_credentials')
      throw new DarajaError(400, '400.008.02', 'Invalid grant type passed');
    const expected = `Basic ${Buffer.from(`${this.consumerKey}:${this.consumerSecret}`).toString('base64')}`;
    if (authorization !== expected) throw new DarajaError(400, '400.008.01', 'Invalid Authentication passed');
    const token = randomBytes(21)
      .toString('base64')
      .replace(/[+/]/g, () => String(randomInt(10)));
    this.#tokens.set(token, Date.now() + tokenLifetimeSeconds * 1000);
    return { access_token: token, expires_in: String(tokenLifetimeSeconds) };
  }

  checkBearer(authorization: string | undefined): void {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    const expiresAt = token === undefined ? undefined : this.#tokens.get(token);
    if (expiresAt === undefined || expiresAt < Date.now()) {
      throw new DarajaError(401, '404.001.03', 'Invalid Access Token');
    }
  }

  revokeTokens(): void {
    this.#tokens.clear();
  }

  stkPush(body: Record<string, unknown>): unknown {
    this.#checkStkAuth(body);
    if (!stkTypes.has(String(body.TransactionType))) throw badRequest('TransactionType');
    const amount = wholeAmount(body.Amount, 1);
    const msisdn = String(body.PhoneNumber);
    if (!msisdnPattern.test(msisdn) || String(body.PartyA) !== msisdn) throw badRequest('PhoneNumber');
    if (String(body.PartyB) !== sandboxShortcode) throw badRequest('PartyB');
    const callbackUrl = httpUrl(body.CallBackURL, 'CallBackURL');
    const reference = body.AccountReference;
    if (typeof reference !== 'string' || reference.length === 0 || reference.length > 12) {
      throw badRequest('AccountReference');
    }
    const record: StkRecord = {
      merchantRequestId: ids.merchantRequest(),
      checkoutRequestId: ids.checkoutRequest(),
      amount,
      msisdn,
      callbackUrl,
      outcome: undefined,
      receipt: undefined,
    };
    this.#stk.set(record.checkoutRequestId, record);
    this.#options.later(this.#options.payerDelayMs, () => {
      const outcome = stkOutcomeFor(msisdn);
      if (!outcome) return;
      record.outcome = outcome;
      if (outcome.code === 0) record.receipt = ids.receipt();
      this.#options.post(record.callbackUrl, stkCallbackBody(record, outcome, new Date()));
    });
    return {
      MerchantRequestID: record.merchantRequestId,
      CheckoutRequestID: record.checkoutRequestId,
      ResponseCode: '0',
      ResponseDescription: 'Success. Request accepted for processing',
      CustomerMessage: 'Success. Request accepted for processing',
    };
  }

  stkQuery(body: Record<string, unknown>): unknown {
    this.#checkStkAuth(body);
    const record = this.#stk.get(String(body.CheckoutRequestID));
    if (!record) throw badRequest('CheckoutRequestID');
    if (!record.outcome) throw new DarajaError(500, '500.001.1001', 'The transaction is being processed');
    return {
      ResponseCode: '0',
      ResponseDescription: 'The service request has been accepted successsfully',
      MerchantRequestID: record.merchantRequestId,
      CheckoutRequestID: record.checkoutRequestId,
      ResultCode: String(record.outcome.code),
      ResultDesc: record.outcome.description,
    };
  }

  b2cPayment(body: Record<string, unknown>): unknown {
    const initiatorValid = this.#initiatorValid(body, 'InitiatorName');
    if (!b2cCommands.has(String(body.CommandID))) throw badRequest('CommandID');
    const amount = wholeAmount(body.Amount, 10);
    if (String(body.PartyA) !== sandboxB2cShortcode) throw badRequest('PartyA');
    const partyB = String(body.PartyB);
    if (!msisdnPattern.test(partyB)) throw badRequest('PartyB');
    const resultUrl = httpUrl(body.ResultURL, 'ResultURL');
    const queueTimeoutUrl = httpUrl(body.QueueTimeOutURL, 'QueueTimeOutURL');
    const originatorId = body.OriginatorConversationID;
    if (typeof originatorId !== 'string' || originatorId.length === 0 || originatorId.length > 64) {
      throw badRequest('OriginatorConversationID');
    }
    if (this.#b2c.has(originatorId)) {
      throw new DarajaError(400, '400.002.02', 'Bad Request - Duplicate OriginatorConversationID');
    }
    const record: B2cRecord = {
      originatorConversationId: originatorId,
      conversationId: ids.conversation(),
      amount,
      partyA: sandboxB2cShortcode,
      partyB,
      resultUrl,
      queueTimeoutUrl,
      initiatorValid,
      outcome: undefined,
      receipt: undefined,
    };
    this.#b2c.set(originatorId, record);
    this.#options.later(this.#options.payerDelayMs, () => this.#settlePayout(record));
    return {
      ConversationID: record.conversationId,
      OriginatorConversationID: originatorId,
      ResponseCode: '0',
      ResponseDescription: 'Accept the service request successfully.',
    };
  }

  /** Acknowledges, sends the result to ResultURL, and (our extension) returns it in the ack too. */
  transactionStatus(body: Record<string, unknown>): unknown {
    const initiatorValid = this.#initiatorValid(body, 'Initiator');
    if (body.CommandID !== 'TransactionStatusQuery') throw badRequest('CommandID');
    if (String(body.PartyA) !== sandboxB2cShortcode) throw badRequest('PartyA');
    const resultUrl = httpUrl(body.ResultURL, 'ResultURL');
    httpUrl(body.QueueTimeOutURL, 'QueueTimeOutURL');
    const query = {
      originatorConversationId: ids.merchantRequest(),
      conversationId: ids.conversation(),
      occasion: typeof body.Occasion === 'string' ? body.Occasion : '',
    };
    const record = this.#findPayout(body.TransactionID, body.OriginalConversationID);
    const result = initiatorValid
      ? transactionStatusResultBody(record, query, new Date())
      : {
          Result: {
            ResultType: 0,
            ResultCode: initiatorInvalid.code,
            ResultDesc: initiatorInvalid.description,
            OriginatorConversationID: query.originatorConversationId,
            ConversationID: query.conversationId,
          },
        };
    this.#options.post(resultUrl, result);
    return {
      OriginatorConversationID: query.originatorConversationId,
      ConversationID: query.conversationId,
      ResponseCode: '0',
      ResponseDescription: 'Accept the service request successfully.',
      ...result,
    };
  }

  #settlePayout(record: B2cRecord): void {
    const outcome: ResultOutcome = record.initiatorValid ? b2cOutcomeFor(record.partyB) : initiatorInvalid;
    record.outcome = outcome;
    if (outcome.code === 0) record.receipt = ids.receipt();
    const url = outcome === queueTimeout ? record.queueTimeoutUrl : record.resultUrl;
    this.#options.post(url, b2cResultBody(record, outcome, new Date()));
  }

  #checkStkAuth(body: Record<string, unknown>): void {
    if (String(body.BusinessShortCode) !== sandboxShortcode) throw badRequest('BusinessShortCode');
    const timestamp = typeof body.Timestamp === 'string' ? body.Timestamp : '';
    const at = parseDarajaTimestamp(timestamp);
    if (!at || Math.abs(at.getTime() - Date.now()) > timestampSkewMsMax) throw badRequest('Timestamp');
    if (body.Password !== stkPassword(sandboxShortcode, this.passkey, timestamp)) {
      throw new DarajaError(500, '500.001.1001', 'Wrong credentials');
    }
  }

  /**
   * Whether the initiator is ours. A credential that is not even RSA ciphertext is refused at once;
   * one that decrypts to the wrong password fails later, in the result (2001), as on Daraja.
   */
  #initiatorValid(body: Record<string, unknown>, nameField: string): boolean {
    const credential = body.SecurityCredential;
    const bytes = typeof credential === 'string' ? Buffer.from(credential, 'base64') : Buffer.alloc(0);
    if (bytes.length !== 256) throw badRequest('SecurityCredential');
    let password: string;
    try {
      password = privateDecrypt(
        { key: this.#privateKey, padding: constants.RSA_PKCS1_PADDING },
        bytes,
      ).toString('utf8');
    } catch {
      return false;
    }
    return password === this.#initiatorPassword && body[nameField] === sandboxInitiatorName;
  }

  #findPayout(receipt: unknown, conversationId: unknown): B2cRecord | undefined {
    for (const record of this.#b2c.values()) {
      if (typeof receipt === 'string' && receipt !== '' && record.receipt === receipt) return record;
      if (conversationId === record.originatorConversationId || conversationId === record.conversationId) {
        return record;
      }
    }
    return undefined;
  }
}

/** Daraja takes whole shillings as a number or a numeric string. */
function wholeAmount(value: unknown, minimum: number): number {
  const amount = typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : value;
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < minimum)
    throw badRequest('Amount');
  return amount;
}

function httpUrl(value: unknown, field: string): string {
  if (typeof value === 'string') {
    try {
      const url = new URL(value);
      if (url.protocol === 'http:' || url.protocol === 'https:') return value;
    } catch {
      // Falls through to Daraja's refusal.
    }
  }
  throw badRequest(field);
}
