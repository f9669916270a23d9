/**
 * Shapes the console reads, from docs/console.md and src/api/routes. Fields the contract does not
 * pin down are optional, and every page reads them defensively.
 */
import type { Role } from './roles.ts';

export interface Operator {
  id: string;
  email: string;
  role: Role;
}

export interface Session {
  operator: Operator;
  csrf_token: string;
  idle_timeout_seconds?: number;
  expires_at?: string;
}

export type SignInStep =
  | { step: 'totp'; challenge: string }
  | { step: 'enroll'; challenge: string; secret: string; otpauth_url?: string; qr_svg?: string };

export interface VolumeRow {
  period: string;
  currency: string;
  kind: string;
  provider: string | null;
  count: number;
  volume: string;
}

export interface DailyRow {
  day: string;
  currency: string;
  kind: string;
  count: number;
  volume: string;
}

export interface ProviderRate {
  provider: string;
  succeeded: number;
  failed: number;
  /** Null when the provider had no finished payment in the period. */
  success_rate: number | null;
}

export interface Dashboard {
  mode?: 'live' | 'test';
  as_of?: string | null;
  volume?: VolumeRow[];
  daily?: DailyRow[];
  providers?: ProviderRate[];
  counts?: Partial<Record<string, number>>;
  active_users?: { today?: number; last_30_days?: number };
}

export interface Wallet {
  id: string;
  currency: string;
  available: string;
  posted: string;
  pending?: { incoming?: string; outgoing?: string } | string;
}

export interface Identity {
  provider: string;
  external_id?: string;
  username?: string | null;
}

export interface KycSubmission {
  id: string;
  user_id?: string;
  user?: { id: string; email?: string | null; phone?: string | null; display_name?: string | null };
  size_bytes?: number;
  kind?: string;
  level?: string;
  status?: string;
  content_type?: string;
  mime_type?: string;
  reason?: string | null;
  created_at?: string;
}

export interface UserSummary {
  id: string;
  email?: string | null;
  phone?: string | null;
  phone_verified?: boolean;
  display_name?: string | null;
  telegram_username?: string | null;
  identities?: Identity[];
  kyc_level?: string | null;
  kyc?: { level?: string | null; submissions?: KycSubmission[] } | null;
  frozen?: boolean;
  frozen_at?: string | null;
  frozen_reason?: string | null;
  created_at?: string;
}

export interface UserDetail extends UserSummary {
  wallets?: Wallet[] | { data: Wallet[] };
  kyc_submissions?: KycSubmission[];
}

/** A payment (src/api/routes/deposits-withdrawals.ts) or a transfer, as the operator lists show it. */
export interface TransactionItem {
  id: string;
  object?: string;
  type?: string;
  kind?: string;
  status?: string;
  amount?: string;
  fee?: string;
  total?: string;
  currency?: string;
  provider?: string | null;
  user_id?: string | null;
  merchant_id?: string | null;
  review_reason?: string | null;
  destination?: Record<string, string> | null;
  created_at?: string;
  ledger_transfers?: Record<string, unknown>[];
  [key: string]: unknown;
}

export interface Adjustment {
  id: string;
  user_id?: string;
  currency?: string;
  direction?: string;
  amount?: string;
  reason?: string;
  status?: string;
  requested_by?: string | null;
  created_at?: string;
}

export interface AuditEntry {
  id: string;
  at?: string;
  principal?: string | null;
  action?: string;
  object_id?: string | null;
  before?: unknown;
  after?: unknown;
  status?: number;
  request_id?: string | null;
  ip?: string | null;
  created_at?: string;
}
