import type { Pool } from '../db/pool.ts';
import type { Ledger } from '../ledger/index.ts';
import type { Logger } from '../shared/logger.ts';
import type { Tokens, Users } from '../users/index.ts';
import type { TransferService, Wallets } from '../wallets/index.ts';

/** Everything the HTTP layer calls. The CLI builds it; tests build their own on a test database. */
export interface ApiServices {
  readonly pool: Pool;
  readonly ledger: Ledger;
  readonly users: Users;
  readonly tokens: Tokens;
  readonly wallets: Wallets;
  readonly transfers: TransferService;
  readonly logger: Logger;
}

/** Who may call a route. Every /v1 route declares one (a test checks). */
export type Access = 'public' | 'user' | 'operator';

export interface Principal {
  readonly kind: 'user';
  readonly userId: string;
  readonly role: import('../users/index.ts').Role;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /** POSTs are idempotent by default; routes whose answers hold secrets (tokens) opt out. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** The Idempotency-Key of this request, scoped to its principal, when it had one. */
    idempotency: { readonly scope: string; readonly key: string } | null;
  }
}
