/**
 * Pieces every provider sandbox shares: failure injection (`failNext`), callback delivery with the
 * misbehaviours tests ask for (duplicates, reordering, lateness, silence), and the record of what was
 * sent. Each sandbox owns its protocol; this file owns none.
 */
import type { CallbackMode, SentCallback } from './provider.ts';

/** Decides whether the next API request should hang or fail. */
export class FailureInjector {
  #queue: ('timeout' | 'server_error')[] = [];

  failNext(kind: 'timeout' | 'server_error', count = 1): void {
    for (let i = 0; i < count; i++) this.#queue.push(kind);
  }

  /** The failure the current request should show, if any (consumes it). */
  take(): 'timeout' | 'server_error' | undefined {
    return this.#queue.shift();
  }
}

/** How long a "timeout" request hangs: longer than any adapter timeout, shorter than a test. */
export const hangMs = 30_000;

/** Delivers callbacks over real HTTP according to the current `CallbackMode`. */
export class CallbackSender {
  readonly sent: SentCallback[] = [];
  #mode: CallbackMode = { type: 'normal' };
  #held: SentCallback[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inFlight = new Set<Promise<void>>();
  #closed = false;

  setMode(mode: CallbackMode): void {
    this.#mode = mode;
  }

  /** Sends (or holds, duplicates, delays, drops) one callback. Never throws: a provider shrugs. */
  send(callback: SentCallback): void {
    const mode = this.#mode;
    switch (mode.type) {
      case 'normal':
        this.#deliver(callback);
        return;
      case 'duplicate':
        this.#deliver(callback);
        this.#deliver(callback);
        return;
      case 'out_of_order':
        this.#held.push(callback);
        return;
      case 'missing':
        return;
      case 'late': {
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          this.#deliver(callback);
        }, mode.delayMs);
        this.#timers.add(timer);
        return;
      }
    }
  }

  /** Sends held callbacks newest first. */
  async flush(): Promise<void> {
    const held = this.#held.reverse();
    this.#held = [];
    for (const callback of held) await this.#post(callback);
  }

  async resend(callback: SentCallback): Promise<void> {
    await this.#post(callback);
  }

  /** Waits for callbacks being delivered now. */
  async settle(): Promise<void> {
    await Promise.all([...this.#inFlight]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await this.settle();
  }

  #deliver(callback: SentCallback): void {
    const delivery = this.#post(callback).finally(() => this.#inFlight.delete(delivery));
    this.#inFlight.add(delivery);
  }

  async #post(callback: SentCallback): Promise<void> {
    if (this.#closed) return;
    this.sent.push(callback);
    try {
      await fetch(callback.url, {
        method: 'POST',
        headers: callback.headers,
        body: callback.body,
        signal: AbortSignal.timeout(10_000),
      });
    } catch {
      // The receiver was down or slow: real providers retry on their own schedule or give up.
    }
  }
}
