/**
 * The console's only way to the server: same-origin fetch with the session cookie, JSON in and out,
 * the CSRF token and an Idempotency-Key on every non-GET request, and the API's error envelope
 * turned into an ApiError whose message is the one the server wrote for people.
 */

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly param?: string,
    readonly requestId?: string,
    /** Seconds, from Retry-After (429 answers). */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>;

interface RequestOptions {
  body?: unknown;
  query?: Query;
  /** False for the sign-in calls: their 401 is a wrong password, not an ended session. */
  session?: boolean;
  signal?: AbortSignal;
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when a session-guarded request answers 401: the session ended (idle, expired, signed out). */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

/** `?a=1&b=2`, leaving out empty values; '' when nothing is left. */
export function queryString(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function errorOf(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's page, an empty body): fall back to the status line.
  }
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  const retryAfter = Number.parseInt(response.headers.get('retry-after') ?? '', 10);
  if (error && typeof error.message === 'string') {
    return new ApiError(
      error.message,
      response.status,
      typeof error.code === 'string' ? error.code : 'unknown',
      typeof error.param === 'string' ? error.param : undefined,
      typeof error.request_id === 'string' ? error.request_id : undefined,
      Number.isFinite(retryAfter) ? retryAfter : undefined,
    );
  }
  const text = response.statusText || 'Request failed';
  return new ApiError(`${text} (HTTP ${response.status})`, response.status, 'http_error');
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
    headers['Idempotency-Key'] = newIdempotencyKey();
  }
  let response: Response;
  try {
    response = await fetch(`${path}${queryString(options.query)}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError('The server could not be reached. Check the connection and try again.', 0, 'network');
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && options.session !== false) onUnauthorized?.();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { query, signal }),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, { body }),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, { body }),
  delete: <T>(path: string) => request<T>('DELETE', path),
};

/** A list answer's items, whether the server sent a list object or a bare array. */
export function itemsOf<T>(value: unknown): T[] {
  if (Array.isArray(value)) return value as T[];
  const data = (value as { data?: unknown } | null | undefined)?.data;
  return Array.isArray(data) ? (data as T[]) : [];
}

function waitText(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError && error.retryAfter !== undefined) {
    return `${error.message} (Try again in ${waitText(error.retryAfter)}.)`;
  }
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}
