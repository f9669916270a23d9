import { createHash, createHmac } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ChatPayError } from '../shared/errors.ts';
import type { Secret } from '../shared/secret.ts';
import { checkStorageKey, type KycStorage } from './kyc-storage.ts';

export interface S3StorageOptions {
  /** The service's origin, e.g. `https://s3.eu-west-1.amazonaws.com` or a MinIO URL. Path-style. */
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: Secret;
  /** Each call's timeout (default 15 s). */
  readonly timeoutMs?: number | undefined;
}

/** What SigV4 signs, beyond the URL: the headers to sign (lower-case names) and the body's hash. */
export interface SignInput {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly payloadSha256: string;
  /** `YYYYMMDDTHHMMSSZ`. */
  readonly amzDate: string;
  readonly region: string;
  readonly service: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: Secret;
}

export interface Signed {
  readonly canonicalRequest: string;
  readonly stringToSign: string;
  readonly signature: string;
  readonly authorization: string;
  /** Every header to send: the caller's, plus `x-amz-date` and `x-amz-content-sha256`. */
  readonly headers: Record<string, string>;
}

const algorithm = 'AWS4-HMAC-SHA256';
const emptySha256 = createHash('sha256').update('').digest('hex');

/** RFC 3986 encoding as SigV4 wants it: everything but `A-Za-z0-9-._~` (and `/` in paths). */
export function awsEncode(text: string, keepSlash = false): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(char) || (keepSlash && char === '/')) out += char;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function canonicalQuery(url: URL): string {
  return [...url.searchParams]
    .map(([k, v]) => [awsEncode(k), awsEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/**
 * AWS Signature Version 4 for one request (header-based, single chunk): the canonical request
 * (method, URI, query, signed headers, payload hash), the string to sign over its hash and the
 * credential scope, and the signature with the key derived date → region → service → aws4_request.
 * The URL's path must already be encoded as it will be sent (S3 paths are not normalised).
 */
export function signV4(input: SignInput): Signed {
  const date = input.amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v])),
    host: input.url.host,
    'x-amz-content-sha256': input.payloadSha256,
    'x-amz-date': input.amzDate,
  };
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  const canonicalHeaders = names
    .map((name) => `${name}:${String(headers[name]).trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonicalRequest = [
    input.method,
    input.url.pathname || '/',
    canonicalQuery(input.url),
    canonicalHeaders,
    signedHeaders,
    input.payloadSha256,
  ].join('\n');
  const scope = `${date}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = [
    algorithm,
    input.amzDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const key = ['aws4_request', input.service, input.region, date].reduceRight<Buffer | string>(
    (derived, part) => hmac(derived, part),
    `AWS4${input.secretAccessKey.reveal()}`,
  );
  const signature = hmac(key, stringToSign).toString('hex');
  const { host: _host, ...toSend } = headers;
  return {
    canonicalRequest,
    stringToSign,
    signature,
    authorization: `${algorithm} Credential=${input.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    headers: toSend,
  };
}

/** `YYYYMMDDTHHMMSSZ` for a date. */
export function amzDateOf(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * An S3-compatible bucket (AWS, MinIO, R2, …) through plain `fetch`, path-style
 * (`<endpoint>/<bucket>/kyc/<key>`), every request signed with SigV4 including the body's hash.
 */
export class S3KycStorage implements KycStorage {
  readonly #o: S3StorageOptions;

  constructor(options: S3StorageOptions) {
    this.#o = { ...options, endpoint: options.endpoint.replace(/\/+$/, '') };
  }

  async put(key: string, bytes: Buffer, contentType: string): Promise<void> {
    const payload = createHash('sha256').update(bytes).digest('hex');
    const response = await this.#send('PUT', key, payload, { 'content-type': contentType }, bytes);
    await this.#expectOk(response, 'PUT');
  }

  async get(key: string): Promise<Readable> {
    const response = await this.#send('GET', key, emptySha256, {});
    if (response.status === 404) {
      await response.body?.cancel();
      throw new ChatPayError('kyc_document_not_found');
    }
    await this.#expectOk(response, 'GET', true);
    return Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  }

  async delete(key: string): Promise<void> {
    const response = await this.#send('DELETE', key, emptySha256, {});
    if (response.status === 404) return void (await response.body?.cancel());
    await this.#expectOk(response, 'DELETE');
  }

  #send(
    method: string,
    key: string,
    payloadSha256: string,
    headers: Record<string, string>,
    body?: Buffer,
  ): Promise<Response> {
    const path = `/${awsEncode(this.#o.bucket)}/${awsEncode(`kyc/${checkStorageKey(key)}`, true)}`;
    const url = new URL(path, `${this.#o.endpoint}/`);
    const signed = signV4({
      method,
      url,
      headers,
      payloadSha256,
      amzDate: amzDateOf(new Date()),
      region: this.#o.region,
      service: 's3',
      accessKeyId: this.#o.accessKeyId,
      secretAccessKey: this.#o.secretAccessKey,
    });
    return fetch(url, {
      method,
      headers: { ...signed.headers, authorization: signed.authorization },
      ...(body ? { body } : {}),
      signal: AbortSignal.timeout(this.#o.timeoutMs ?? 15_000),
    }).catch((error: unknown) => {
      throw new ChatPayError('kyc_storage_unavailable', { cause: error });
    });
  }

  /** Anything but 2xx is the store refusing or failing: the S3 error code is kept for logs. */
  async #expectOk(response: Response, method: string, keepBody = false): Promise<void> {
    if (response.ok) {
      if (!keepBody) await response.body?.cancel();
      return;
    }
    const text = await response.text().catch(() => '');
    const code = /<Code>([^<]{1,100})<\/Code>/.exec(text)?.[1] ?? 'unknown';
    throw new ChatPayError('kyc_storage_unavailable', {
      details: { method, status: response.status, s3Code: code },
    });
  }
}
