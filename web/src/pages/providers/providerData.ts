/**
 * GET /v1/operator/providers: "status, fee rules and limits per provider". The exact layout is read
 * defensively: providers in `data` or `providers`; rules at the top (`fees` / `limits`, as arrays or
 * `{rules}`) or else gathered from each provider.
 */
export interface ProviderStatus {
  provider: string;
  enabled?: boolean;
  mode?: string;
  circuit?: string;
  last_success_at?: string | null;
  last_failure_at?: string | null;
  currencies?: string[];
}

type Raw = Record<string, unknown>;

function rulesIn(value: unknown): unknown[] | null {
  if (Array.isArray(value)) return value;
  const rules = (value as { rules?: unknown } | null | undefined)?.rules;
  return Array.isArray(rules) ? rules : null;
}

function circuitOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const state = (value as { state?: unknown } | null | undefined)?.state;
  return typeof state === 'string' ? state : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function gather(providers: Raw[], keys: string[]): unknown[] {
  const seen = new Map<string, unknown>();
  for (const p of providers) {
    for (const key of keys) {
      for (const rule of rulesIn(p[key]) ?? []) seen.set(JSON.stringify(rule), rule);
    }
  }
  return [...seen.values()];
}

export function readProviders(body: unknown): {
  providers: ProviderStatus[];
  fees: unknown[];
  limits: unknown[];
} {
  const root = (Array.isArray(body) ? { data: body } : (body ?? {})) as Raw;
  const rawList = [root.data, root.providers].find(Array.isArray) as Raw[] | undefined;
  const raw = (rawList ?? []).filter((p): p is Raw => typeof p === 'object' && p !== null);
  const providers = raw.map((p) => ({
    provider: str(p.provider) ?? str(p.id) ?? str(p.name) ?? '?',
    enabled: typeof p.enabled === 'boolean' ? p.enabled : undefined,
    mode: str(p.mode),
    circuit: circuitOf(p.circuit ?? p.circuit_state ?? p.breaker),
    last_success_at: str(p.last_success_at),
    last_failure_at: str(p.last_failure_at),
    currencies: Array.isArray(p.currencies)
      ? p.currencies.filter((c): c is string => typeof c === 'string')
      : [],
  }));
  const fees =
    rulesIn(root.fees) ??
    rulesIn(root.fee_rules) ??
    rulesIn(root.fee_schedule) ??
    gather(raw, ['fees', 'fee_rules']);
  const limits = rulesIn(root.limits) ?? rulesIn(root.limit_rules) ?? gather(raw, ['limits', 'limit_rules']);
  return { providers, fees, limits };
}
