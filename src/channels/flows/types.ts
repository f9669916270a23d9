/**
 * The channel-agnostic conversation model. A channel adapter (Telegram, WhatsApp) turns its updates
 * into `ChatEvent`s and renders `OutMessage`s; flows never see a channel's own types.
 */
import type { Pool } from '../../db/pool.ts';
import type { Ledger } from '../../ledger/index.ts';
import type { Payments } from '../../payments/index.ts';
import type { Users } from '../../users/index.ts';
import type { HeldTransfers, TransferService, Wallets, WalletView } from '../../wallets/index.ts';
import type { Language, MessageKey } from './i18n.ts';

export type ChatEvent =
  | { readonly type: 'command'; readonly name: string; readonly args: string }
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'button'; readonly data: string }
  | {
      readonly type: 'contact';
      readonly phone: string;
      /** The person's own number, as the channel vouches (Telegram: the contact's user_id is theirs). */
      readonly own: boolean;
      /** The contact's account on this channel, when they have one (Telegram user id). */
      readonly externalId?: string | undefined;
    };

export type Channel = 'telegram' | 'whatsapp';

export interface Button {
  readonly label: string;
  /** What pressing it sends back (≤ 64 bytes: Telegram's callback_data limit). */
  readonly data?: string;
  /** Or a link it opens (hosted checkouts). */
  readonly url?: string;
}

export interface OutMessage {
  readonly text: string;
  readonly buttons?: readonly (readonly Button[])[];
  /** Offer a "share my phone number" button (Telegram: a one-time reply keyboard). */
  readonly requestContact?: boolean;
  /** Replace the message whose button was pressed, instead of sending a new one. */
  readonly replace?: boolean;
}

export interface Session {
  readonly flow: string | null;
  readonly step: string | null;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface FlowServices {
  readonly pool: Pool;
  readonly ledger: Ledger;
  readonly users: Users;
  readonly wallets: Wallets;
  readonly transfers: TransferService;
  readonly held: HeldTransfers;
  readonly payments: Payments;
}

export interface FlowContext {
  readonly userId: string;
  /** Where the person writes from (flows stay channel-agnostic; some lookups are per channel). */
  readonly channel: Channel;
  readonly name: string;
  readonly language: Language;
  readonly services: FlowServices;
  /** The session's data as stored (the current flow's answers so far). */
  readonly data: Readonly<Record<string, unknown>>;
  /** Unique per flow instance: money-moving steps derive their ids from it, so a repeat is harmless. */
  readonly flowId: string;
  /**
   * The person's wallets as the update began: read in the round trip that opens the session, since
   * most conversations show or check a balance (a new chat's user: read when asked).
   */
  wallets(): Promise<readonly WalletView[]>;
  t(key: MessageKey, values?: Readonly<Record<string, string>>): string;
}

/** What a step answers: replies, and where the conversation goes next. */
export interface Step {
  readonly replies: readonly OutMessage[];
  /** The next step's name; absent: the flow is over. */
  readonly next?: string;
  /** Data to keep for the next steps (merged into the session's data). */
  readonly data?: Readonly<Record<string, unknown>>;
  /** Delete the person's message (it held a PIN). */
  readonly deleteIncoming?: boolean;
  /** The person's language changed. */
  readonly language?: Language;
  /**
   * The step only asks or informs: no money moved and nothing was started whose outcome the person
   * must hear, so a lost reply costs only a repeat. A channel may then send the replies without a
   * delivery report (Telegram: in the webhook's answer). Absent: every reply must be confirmed sent.
   */
  readonly informational?: boolean;
}

export interface Flow {
  readonly name: string;
  start(ctx: FlowContext, event: ChatEvent): Promise<Step>;
  step(ctx: FlowContext, step: string, event: ChatEvent): Promise<Step>;
}
