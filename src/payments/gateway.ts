/**
 * The enabled providers and the resilience around every call to them (cockatiel): a circuit breaker
 * per provider that opens after consecutive timeouts or outages, and retries with jittered
 * exponential backoff only for calls that are safe to repeat. Each adapter already bounds every HTTP
 * call with its own timeout.
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IPolicy,
  retry,
  wrap,
} from 'cockatiel';
import { ChatPayError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import {
  type PaymentProvider,
  ProviderError,
  type ProviderId,
  type ProviderMode,
} from './providers/provider.ts';

export interface GatewayEntry {
  readonly provider: PaymentProvider;
  /** True when this adapter talks to a sandbox ChatPay started itself. */
  readonly sandbox: boolean;
}

export interface GatewayOptions {
  /** Consecutive timeouts or outages that open a provider's circuit. */
  readonly breakerFailuresMax: number;
  /** How long an open circuit stays open before one trial call. */
  readonly breakerOpenMs: number;
  /** Tries of an idempotent call, the first included. */
  readonly attemptsMax: number;
  readonly logger: Logger;
}

export type CircuitName = 'closed' | 'open' | 'half_open' | 'isolated';

export interface ProviderHealth {
  readonly id: ProviderId;
  readonly mode: ProviderMode;
  readonly sandbox: boolean;
  readonly circuit: CircuitName;
  readonly lastSuccessAt: Date | null;
  readonly lastFailureAt: Date | null;
}

interface Slot {
  readonly entry: GatewayEntry;
  readonly once: IPolicy;
  readonly retrying: IPolicy;
  readonly breaker: ReturnType<typeof circuitBreaker>;
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
}

// Only the provider being down counts against its circuit: a declined card or a bad request is an
// answer, and says the provider is up.
const outage = (error: unknown) =>
  error instanceof ProviderError && (error.kind === 'timeout' || error.kind === 'unavailable');

export class ProviderGateway {
  readonly #slots = new Map<ProviderId, Slot>();
  readonly #logger: Logger;

  constructor(entries: readonly GatewayEntry[], options: GatewayOptions) {
    this.#logger = options.logger;
    for (const entry of entries) {
      const breaker = circuitBreaker(handleWhen(outage), {
        halfOpenAfter: options.breakerOpenMs,
        breaker: new ConsecutiveBreaker(options.breakerFailuresMax),
      });
      const retrying = wrap(
        retry(
          handleWhen((e) => e instanceof ProviderError && e.retryable),
          {
            maxAttempts: options.attemptsMax - 1,
            backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2_000 }),
          },
        ),
        breaker,
      );
      const id = entry.provider.id;
      breaker.onStateChange((state) =>
        this.#logger.warn({ provider: id, circuit: circuitName(state) }, 'provider circuit changed'),
      );
      this.#slots.set(id, {
        entry,
        once: breaker,
        retrying,
        breaker,
        lastSuccessAt: null,
        lastFailureAt: null,
      });
    }
  }

  ids(): ProviderId[] {
    return [...this.#slots.keys()];
  }

  /** The enabled provider, or `provider_unknown`. */
  provider(id: string): PaymentProvider {
    const slot = this.#slots.get(id as ProviderId);
    if (!slot) throw new ChatPayError('provider_unknown', { param: 'provider' });
    return slot.entry.provider;
  }

  find(id: string): PaymentProvider | undefined {
    return this.#slots.get(id as ProviderId)?.entry.provider;
  }

  /**
   * Runs one call to provider `id` through its circuit breaker (and, when `idempotent`, retries).
   * An open circuit fails fast with `provider_unavailable`; ProviderErrors pass through.
   */
  async call<T>(
    id: ProviderId,
    work: (provider: PaymentProvider, signal: AbortSignal) => Promise<T>,
    options: { readonly idempotent: boolean },
  ): Promise<T> {
    const slot = this.#slots.get(id);
    if (!slot) throw new ChatPayError('provider_unknown', { param: 'provider' });
    const policy = options.idempotent ? slot.retrying : slot.once;
    try {
      const result = await policy.execute(({ signal }) => work(slot.entry.provider, signal));
      slot.lastSuccessAt = new Date();
      return result as T;
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new ChatPayError('provider_unavailable', { param: 'provider', cause: error });
      }
      if (outage(error)) slot.lastFailureAt = new Date();
      else if (error instanceof ProviderError) slot.lastSuccessAt = new Date();
      throw error;
    }
  }

  /** Fails fast, before any state is written, while the provider's circuit is open. */
  assertAvailable(id: ProviderId): void {
    const slot = this.#slots.get(id);
    if (!slot) throw new ChatPayError('provider_unknown', { param: 'provider' });
    if (slot.breaker.state === CircuitState.Open || slot.breaker.state === CircuitState.Isolated) {
      throw new ChatPayError('provider_unavailable', { param: 'provider' });
    }
  }

  health(): ProviderHealth[] {
    return [...this.#slots.values()].map((slot) => ({
      id: slot.entry.provider.id,
      mode: slot.entry.provider.mode,
      sandbox: slot.entry.sandbox,
      circuit: circuitName(slot.breaker.state),
      lastSuccessAt: slot.lastSuccessAt,
      lastFailureAt: slot.lastFailureAt,
    }));
  }
}

function circuitName(state: CircuitState): CircuitName {
  switch (state) {
    case CircuitState.Closed:
      return 'closed';
    case CircuitState.Open:
      return 'open';
    case CircuitState.HalfOpen:
      return 'half_open';
    case CircuitState.Isolated:
      return 'isolated';
  }
}
