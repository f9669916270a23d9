import type { EventBus, RealtimeEvent } from './events.ts';

/** The single-process bus: listeners in a map, delivery on the next tick. */
export class MemoryEventBus implements EventBus {
  readonly #listeners = new Map<string, Set<(event: RealtimeEvent) => void>>();
  readonly #everything = new Set<(userId: string, event: RealtimeEvent) => void>();

  async publish(userId: string, event: RealtimeEvent): Promise<void> {
    for (const listener of this.#listeners.get(userId) ?? []) queueMicrotask(() => listener(event));
    for (const listener of this.#everything) queueMicrotask(() => listener(userId, event));
  }

  subscribeAll(listener: (userId: string, event: RealtimeEvent) => void): () => void {
    this.#everything.add(listener);
    return () => {
      this.#everything.delete(listener);
    };
  }

  subscribe(userId: string, listener: (event: RealtimeEvent) => void): () => void {
    let set = this.#listeners.get(userId);
    if (!set) {
      set = new Set();
      this.#listeners.set(userId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(userId);
    };
  }

  async isReady(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    this.#everything.clear();
  }
}
