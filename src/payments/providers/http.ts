/**
 * The one way adapters call a provider over HTTP: a timeout on every call, and transport failures
 * turned into `ProviderError`s of the right kind. What a status code *means* is the adapter's call
 * (M-Pesa answers "still processing" with a 500), so non-2xx answers are returned, not thrown.
 */
import { ProviderError, type ProviderError as ProviderErrorType, type ProviderId } from './provider.ts';

export interface ProviderRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A string is sent as is; anything else as JSON. */
  readonly body?: unknown;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

export interface ProviderResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

/** Largest provider answer we read: anything bigger is a broken or hostile server. */
const responseBytesMax = 2 * 1024 * 1024;

export async function providerRequest(
  provider: ProviderId,
  request: ProviderRequest,
): Promise<ProviderResponse> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  let body: string | undefined;
  if (request.body !== undefined) {
    if (typeof request.body === 'string') body = request.body;
    else {
      body = JSON.stringify(request.body);
      headers['content-type'] ??= 'application/json';
    }
  }
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers,
      body,
      signal,
      redirect: 'manual',
    });
  } catch (error) {
    throw transportError(provider, error, timeout);
  }
  let text: string;
  try {
    text = await readLimited(response);
  } catch (error) {
    throw transportError(provider, error, timeout);
  }
  return { status: response.status, headers: response.headers, text, json: parseJson(text) };
}

function transportError(provider: ProviderId, error: unknown, timeout: AbortSignal): ProviderErrorType {
  if (timeout.aborted) {
    return new ProviderError(provider, 'timeout', 'the provider did not answer in time', { cause: error });
  }
  return new ProviderError(provider, 'unavailable', 'the provider could not be reached', { cause: error });
}

async function readLimited(response: Response): Promise<string> {
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > responseBytesMax) throw new Error(`answer of ${length} bytes is too large`);
  const text = await response.text();
  if (text.length > responseBytesMax) throw new Error('answer is too large');
  return text;
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The usual meaning of an HTTP failure: 401/403 bad credentials, other 4xx our request, 429 and 5xx
 * the provider (retryable where the call is idempotent).
 */
export function httpError(
  provider: ProviderId,
  response: ProviderResponse,
  providerCode?: string,
): ProviderErrorType {
  const status = response.status;
  const options = { httpStatus: status, ...(providerCode === undefined ? {} : { providerCode }) };
  if (status === 401 || status === 403)
    return new ProviderError(provider, 'auth', `credentials refused (HTTP ${status})`, options);
  if (status === 429) return new ProviderError(provider, 'unavailable', 'rate limited (HTTP 429)', options);
  if (status >= 500)
    return new ProviderError(provider, 'unavailable', `provider error (HTTP ${status})`, options);
  return new ProviderError(provider, 'invalid_request', `request refused (HTTP ${status})`, options);
}
