import type { FastifyRequest } from 'fastify';
import type { WebhookReplySlot } from '../channels/telegram/webhook-reply.ts';
import type { Pool } from '../db/pool.ts';
import type { Ledger } from '../ledger/index.ts';
import type { KeyMode, Merchants, MerchantWebhooks } from '../merchants/index.ts';
import type { Payments } from '../payments/index.ts';
import type { EventBus } from '../realtime/index.ts';
import type { Logger } from '../shared/logger.ts';
import type { ConsoleSessions, Kyc, Role, Tokens, Users } from '../users/index.ts';
import type { Adjustments, HeldTransfers, TransferService, Wallets } from '../wallets/index.ts';

/** Everything the HTTP layer calls. The CLI builds it; tests build their own on a test database. */
export interface ApiServices {
  readonly pool: Pool;
  readonly ledger: Ledger;
  readonly users: Users;
  readonly tokens: Tokens;
  /** Operators' console sessions (cookie, CSRF token, TOTP). */
  readonly consoleSessions: ConsoleSessions;
  readonly wallets: Wallets;
  readonly transfers: TransferService;
  /** Operators' manual credits and debits, with two-person approval. */
  readonly adjustments: Adjustments;
  /** Money held for people not on ChatPay yet. */
  readonly held: HeldTransfers;
  readonly merchants: Merchants;
  /** Merchants' webhook endpoints and deliveries. */
  readonly merchantWebhooks: MerchantWebhooks;
  /** Deposits, collections, withdrawals and provider webhooks. */
  readonly payments: Payments;
  /** KYC documents: submissions, their files, operators' decisions. */
  readonly kyc: Kyc;
  readonly events: EventBus;
  /**
   * Where idempotency records are written: a pool with asynchronous commit in production (a lost
   * record only means a retry runs again, and money paths are exactly-once through ledger ids).
   */
  readonly idempotencyPool?: Pool | undefined;
  /** Shared state across API processes (rate limits), when REDIS_URL is set. */
  readonly redis?: import('ioredis').Redis | undefined;
  readonly logger: Logger;
  /** Telegram webhook mode: the secret token Telegram sends back. Unset: the webhook route is off. */
  readonly telegramWebhookSecret?: import('../shared/secret.ts').Secret | undefined;
  /**
   * When this process also runs the bot, it handles each webhook update before answering (within a
   * deadline; past it, or on failure, the update is queued, and the flow engine drops it there if it
   * was handled after all). `reply` is the webhook's answer, which may carry one Bot API call.
   */
  readonly telegramInline?:
    | { handler?: ((update: unknown, reply: WebhookReplySlot) => Promise<void>) | undefined }
    | undefined;
}

/**
 * Who may call a route. Every /v1 route declares one (a test checks): anyone, a signed-in user (JWT),
 * an operator (JWT with an operator role; `roles` narrows it), or a merchant (API key `sk_test_`/`sk_live_`).
 */
export type Access = 'public' | 'user' | 'operator' | 'merchant';

export type Principal =
  | { readonly kind: 'user'; readonly userId: string; readonly role: Role; readonly expiresAtMs: number }
  | {
      readonly kind: 'merchant';
      readonly merchantId: string;
      readonly mode: KeyMode;
      readonly keyId: string;
    };

/** The caller as one string: idempotency scopes, rate-limit buckets and audit rows use it. */
export function principalKey(principal: Principal | null, ip: string): string {
  if (!principal) return `ip:${ip}`;
  return principal.kind === 'user'
    ? `user:${principal.userId}`
    : `merchant:${principal.merchantId}:${principal.mode}`;
}

/** The matched route's pattern (`/v1/transfers/:id`; undefined when none matched) and its config. */
export interface MatchedRoute {
  readonly url: string | undefined;
  readonly config: FastifyRequest['routeOptions']['config'];
}

/**
 * The request's matched route, read once: Fastify's `request.routeOptions` builds a new thirteen-field
 * object on every access, and the hooks every request passes through (auth, rate limit, idempotency,
 * audit, metrics) ask ten times or more.
 */
export function routeOf(request: FastifyRequest): MatchedRoute {
  if (request.matchedRoute) return request.matchedRoute;
  const { url, config } = request.routeOptions;
  request.matchedRoute = { url, config };
  return request.matchedRoute;
}

/**
 * A request's Idempotency-Key. `hash` is set when the key is claimed with the answer (the route's
 * `claimWithAnswer`): nothing is stored under it yet while the handler runs.
 */
export interface IdempotencyClaim {
  readonly scope: string;
  readonly key: string;
  readonly hash?: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /** For `operator` routes: the roles allowed (default: every operator role). */
    roles?: readonly Role[];
    /** POSTs are idempotent by default; routes whose answers hold secrets (tokens) opt out. */
    idempotent?: boolean;
    /**
     * When it says so for a request, its Idempotency-Key is claimed by storing the answer, not before
     * the handler runs (see idempotency.ts): for handlers that change nothing before the ledger
     * statement that moves their money, which must carry the claim (`auditWithLedger`), or nothing
     * that can't safely happen twice.
     */
    claimWithAnswer?: (request: FastifyRequest) => boolean;
    /**
     * Also accept the access token as `?access_token=` (WebSocket upgrades from browsers can't set
     * headers). Only for routes that need it: URLs end up in logs and histories.
     */
    tokenInQuery?: boolean;
    /**
     * Provider webhooks: kept in full in their own inbox (webhook_events), so they skip the audit
     * log and the per-caller rate limit (a provider sends bursts from a few addresses).
     */
    inbox?: boolean;
    /** Audit this read too: it hands out bulk or personal data (exports, identity documents). */
    auditReads?: boolean;
  }
  interface FastifyRequest {
    /** Set by `routeOf` (decorated in app.ts). */
    matchedRoute: MatchedRoute | null;
    principal: Principal | null;
    /** The Idempotency-Key of this request, scoped to its principal, when it had one. */
    idempotency: IdempotencyClaim | null;
    /** Set when the caller came with the console's session cookie (operator routes). */
    consoleSession: {
      readonly token: string;
      readonly session: import('../users/index.ts').ConsoleSession;
    } | null;
  }
}
