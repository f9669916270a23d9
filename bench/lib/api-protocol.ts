/** What the benchmark (parent) and its load driver (child) say to each other over the IPC channel. */

export type Endpoint = 'POST /v1/transfers' | 'GET /v1/wallets';

export interface ScenarioConfig {
  readonly endpoint: Endpoint;
  readonly ratePerS: number;
}

export interface DriverConfig {
  readonly baseUrl: string;
  readonly users: readonly { readonly id: string; readonly accessToken: string }[];
  readonly scenarios: readonly ScenarioConfig[];
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly inFlightMax: number;
  readonly requestTimeoutMs: number;
}

/** One scenario's figures, printed as one JSON line. */
export interface ScenarioLine {
  readonly endpoint: Endpoint;
  readonly rate_per_s: number;
  readonly achieved_per_s: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly errors: number;
}

export type DriverMessage =
  | { readonly type: 'result'; readonly line: ScenarioLine }
  | { readonly type: 'done' };
