import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local S3-compatible server for tests and development: path-style PUT, GET and DELETE of objects
 * kept in memory, every request's AWS Signature Version 4 checked as S3 checks it. Its verifier is
 * written from the request as received, independently of the client's signer (kyc-s3.ts), so a
 * mistake in one is not silently shared by the other.
 */
export interface S3Sandbox {
  /** `http://127.0.0.1:<port>`: the value for `KYC_S3_ENDPOINT`. */
  readonly url: string;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Stored objects by key (without the bucket). */
  readonly objects: ReadonlyMap<string, { readonly bytes: Buffer; readonly contentType: string }>;
  /** S3 error codes answered so far, oldest first (e.g. `SignatureDoesNotMatch`). */
  readonly refusals: readonly string[];
  close(): Promise<void>;
}

export interface S3SandboxOptions {
  readonly bucket?: string;
  readonly region?: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
}

const bodyBytesMax = 64 * 1024 * 1024;
// S3 refuses requests dated more than 15 minutes from its clock.
const skewMsMax = 15 * 60 * 1000;

class S3Failure extends Error {
  readonly status: number;
  readonly s3Code: string;

  constructor(status: number, s3Code: string, message: string) {
    super(message);
    this.status = status;
    this.s3Code = s3Code;
  }
}

export async function startS3Sandbox(options: S3SandboxOptions = {}): Promise<S3Sandbox> {
  const bucket = options.bucket ?? 'chatpay-kyc';
  const region = options.region ?? 'us-east-1';
  const accessKeyId = options.accessKeyId ?? 'AKIASANDBOX000000000';
  const secretAccessKey = options.secretAccessKey ?? 'sandbox/secret/key/that/is/long/enough';
  const objects = new Map<string, { bytes: Buffer; contentType: string }>();
  const refusals: string[] = [];
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const failure = error instanceof S3Failure ? error : new S3Failure(500, 'InternalError', String(error));
      refusals.push(failure.s3Code);
      sendError(response, failure);
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    verifySignature(request, body, { region, accessKeyId, secretAccessKey });
    const { pathname } = new URL(request.url ?? '/', 'http://sandbox');
    const [, bucketName = '', ...rest] = pathname.split('/').map(decodeURIComponent);
    if (bucketName !== bucket) throw new S3Failure(404, 'NoSuchBucket', 'The bucket does not exist.');
    const key = rest.join('/');
    if (!key) throw new S3Failure(400, 'InvalidRequest', 'An object key is required.');
    switch (request.method) {
      case 'PUT':
        objects.set(key, {
          bytes: body,
          contentType: String(request.headers['content-type'] ?? 'binary/octet-stream'),
        });
        response.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` }).end();
        return;
      case 'GET': {
        const object = objects.get(key);
        if (!object) throw new S3Failure(404, 'NoSuchKey', 'The specified key does not exist.');
        response
          .writeHead(200, { 'content-type': object.contentType, 'content-length': object.bytes.length })
          .end(object.bytes);
        return;
      }
      case 'DELETE':
        objects.delete(key);
        response.writeHead(204).end();
        return;
      default:
        throw new S3Failure(405, 'MethodNotAllowed', 'Only PUT, GET and DELETE are served here.');
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bucket,
    region,
    accessKeyId,
    secretAccessKey,
    objects,
    refusals,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > bodyBytesMax) throw new S3Failure(400, 'EntityTooLarge', 'The body is too large.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function sendError(response: ServerResponse, failure: S3Failure): void {
  if (response.headersSent) return void response.destroy();
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${failure.s3Code}</Code><Message>${failure.message}</Message></Error>`;
  response.writeHead(failure.status, { 'content-type': 'application/xml' }).end(xml);
}

const authorizationPattern =
  /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/** Checks the request as S3 does; throws the S3 error it would answer. */
function verifySignature(
  request: IncomingMessage,
  body: Buffer,
  expected: { region: string; accessKeyId: string; secretAccessKey: string },
): void {
  const match = authorizationPattern.exec(String(request.headers.authorization ?? ''));
  if (!match) throw new S3Failure(403, 'AccessDenied', 'A SigV4 Authorization header is required.');
  const [, accessKeyId, date, region, service, signedHeaderList, signature] = match as unknown as string[];
  if (accessKeyId !== expected.accessKeyId) {
    throw new S3Failure(403, 'InvalidAccessKeyId', 'The access key id does not exist.');
  }
  if (region !== expected.region || service !== 's3') {
    throw new S3Failure(400, 'AuthorizationHeaderMalformed', 'Wrong region or service in the scope.');
  }
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const at = Date.parse(
    amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
  );
  if (!amzDate.startsWith(date as string) || Number.isNaN(at)) {
    throw new S3Failure(403, 'AccessDenied', 'x-amz-date is missing or does not match the scope.');
  }
  if (Math.abs(Date.now() - at) > skewMsMax) {
    throw new S3Failure(403, 'RequestTimeTooSkewed', 'The request time is too far from ours.');
  }
  const payloadHash = String(request.headers['x-amz-content-sha256'] ?? '');
  if (payloadHash !== createHash('sha256').update(body).digest('hex')) {
    throw new S3Failure(400, 'XAmzContentSHA256Mismatch', 'x-amz-content-sha256 is not the body’s hash.');
  }
  const signed = (signedHeaderList as string).split(';');
  for (const required of ['host', 'x-amz-content-sha256', 'x-amz-date']) {
    if (!signed.includes(required)) {
      throw new S3Failure(403, 'AccessDenied', `The signature must cover ${required}.`);
    }
  }
  const canonical = canonicalRequest(request, signed, payloadHash);
  const scope = `${date}/${region}/s3/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256(canonical)}`;
  let key: Buffer = hmac(`AWS4${expected.secretAccessKey}`, date as string);
  for (const part of [region as string, 's3', 'aws4_request']) key = hmac(key, part);
  const ours = hmac(key, stringToSign);
  const theirs = Buffer.from(signature as string, 'hex');
  if (ours.length !== theirs.length || !timingSafeEqual(ours, theirs)) {
    throw new S3Failure(403, 'SignatureDoesNotMatch', 'The request signature does not match.');
  }
}

function canonicalRequest(request: IncomingMessage, signed: readonly string[], payloadHash: string): string {
  const url = new URL(request.url ?? '/', 'http://sandbox');
  const path = url.pathname
    .split('/')
    .map((segment) => encode(decodeURIComponent(segment)))
    .join('/');
  const query = [...url.searchParams]
    .map(([k, v]) => `${encode(k)}=${encode(v)}`)
    .sort()
    .join('&');
  const headers = signed
    .map((name) => {
      const value = request.headers[name];
      const text = Array.isArray(value) ? value.join(',') : String(value ?? '');
      return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  return [request.method, path, query, headers, signed.join(';'), payloadHash].join('\n');
}

function encode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}
