/**
 * What a signed-in user hears on `GET /v1/realtime`: events about their own wallets, and every status
 * change of their deposits and withdrawals (`data` is the deposit or withdrawal as the API shows it),
 * and the review of their KYC documents (`data` is the document, with the user's `kyc_level`).
 */
export const realtimeEventTypes = [
  'transfer.sent',
  'transfer.received',
  'transfer.returned',
  'deposit.updated',
  'withdrawal.updated',
  'kyc.approved',
  'kyc.rejected',
] as const;
export type RealtimeEventType = (typeof realtimeEventTypes)[number];

export interface RealtimeEvent {
  /** `evt_…`, unique per event, so a client can drop duplicates. */
  readonly id: string;
  readonly type: RealtimeEventType;
  readonly created_at: string;
  readonly data: unknown;
}

/**
 * Delivers events to the users they concern, whichever API process holds their connection. One
 * process: in memory. Several: Redis pub/sub (REDIS_URL), one channel per user.
 */
export interface EventBus {
  publish(userId: string, event: RealtimeEvent): Promise<void>;
  /** Calls `listener` for each event published to `userId` (by any process); returns unsubscribe. */
  subscribe(userId: string, listener: (event: RealtimeEvent) => void): () => void;
  /** Calls `listener` for every event to any user (the bots' notifier); returns unsubscribe. */
  subscribeAll(listener: (userId: string, event: RealtimeEvent) => void): () => void;
  /** True when the bus can deliver (Redis reachable, or in memory). For /ready. */
  isReady(): Promise<boolean>;
  close(): Promise<void>;
}
