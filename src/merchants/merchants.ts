import { randomBytes } from 'node:crypto';
import type { Pool } from '../db/pool.ts';
import { ChatPayError } from '../shared/errors.ts';
import { sha256Hex } from '../shared/hash.ts';
import { newId } from '../shared/ids.ts';

export type KeyMode = 'test' | 'live';

export interface Merchant {
  readonly id: string;
  readonly object: 'merchant';
  readonly name: string;
  readonly email: string | null;
  readonly created_at: string;
}

export interface ApiKeyView {
  readonly id: string;
  readonly object: 'api_key';
  readonly mode: KeyMode;
  /** The key's last four characters, to tell keys apart. */
  readonly last4: string;
  readonly created_at: string;
  readonly last_used_at: string | null;
  readonly revoked_at: string | null;
}

export interface MerchantPrincipal {
  readonly merchantId: string;
  readonly mode: KeyMode;
  readonly keyId: string;
}

interface KeyRow {
  id: string;
  merchant_id: string;
  mode: KeyMode;
  last4: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const keyPattern = /^sk_(test|live)_[A-Za-z0-9_-]{43}$/;
// Writing last_used_at on every request would make each API call a write; minute precision is enough.
const lastUsedPrecisionSeconds = 60;

function keyView(row: KeyRow): ApiKeyView {
  return {
    id: row.id,
    object: 'api_key',
    mode: row.mode,
    last4: row.last4,
    created_at: row.created_at.toISOString(),
    last_used_at: row.last_used_at?.toISOString() ?? null,
    revoked_at: row.revoked_at?.toISOString() ?? null,
  };
}

/** Merchant ledger accounts are per mode: test-mode money never mixes with live money. */
export function merchantAccountId(merchantId: string, mode: KeyMode, currency: string): string {
  return `mer_${merchantId.replace(/^mer_/, '')}_${mode}_${currency}`;
}

export class Merchants {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async create(input: { name: string; email?: string | undefined; createdBy: string }): Promise<Merchant> {
    const { rows } = await this.#pool.query<{
      id: string;
      name: string;
      email: string | null;
      created_at: Date;
    }>(
      'INSERT INTO merchants (id, name, email, created_by) VALUES ($1, $2, $3, $4) RETURNING id, name, email, created_at',
      [newId('mer'), input.name, input.email ?? null, input.createdBy],
    );
    const row = rows[0] as { id: string; name: string; email: string | null; created_at: Date };
    return {
      id: row.id,
      object: 'merchant',
      name: row.name,
      email: row.email,
      created_at: row.created_at.toISOString(),
    };
  }

  async exists(id: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query('SELECT 1 FROM merchants WHERE id = $1', [id]);
    return rowCount === 1;
  }

  /** Makes a key; its secret is returned this once and stored only as a hash. */
  async createKey(merchantId: string, mode: KeyMode): Promise<ApiKeyView & { secret: string }> {
    if (!(await this.exists(merchantId))) throw new ChatPayError('merchant_not_found');
    const secret = `sk_${mode}_${randomBytes(32).toString('base64url')}`;
    const { rows } = await this.#pool.query<KeyRow>(
      `INSERT INTO api_keys (id, merchant_id, mode, key_hash, last4) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [newId('key'), merchantId, mode, sha256Hex(secret), secret.slice(-4)],
    );
    return { ...keyView(rows[0] as KeyRow), secret };
  }

  async listKeys(merchantId: string): Promise<ApiKeyView[]> {
    if (!(await this.exists(merchantId))) throw new ChatPayError('merchant_not_found');
    const { rows } = await this.#pool.query<KeyRow>(
      'SELECT * FROM api_keys WHERE merchant_id = $1 ORDER BY created_at',
      [merchantId],
    );
    return rows.map(keyView);
  }

  async revokeKey(merchantId: string, keyId: string): Promise<ApiKeyView> {
    const { rows } = await this.#pool.query<KeyRow>(
      `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND merchant_id = $2 RETURNING *`,
      [keyId, merchantId],
    );
    if (!rows[0]) throw new ChatPayError('api_key_not_found');
    return keyView(rows[0]);
  }

  /** The merchant a key belongs to, if the key is well formed, known and not revoked. */
  async authenticate(secret: string): Promise<MerchantPrincipal> {
    if (!keyPattern.test(secret)) throw new ChatPayError('unauthenticated');
    const { rows } = await this.#pool.query<{
      id: string;
      merchant_id: string;
      mode: KeyMode;
      stale: boolean;
    }>({
      name: 'api_key_authenticate',
      text: `SELECT id, merchant_id, mode,
                    (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2)) AS stale
               FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
      values: [sha256Hex(secret), lastUsedPrecisionSeconds],
    });
    const row = rows[0];
    if (!row) throw new ChatPayError('unauthenticated');
    // At most one write per key per minute: the common request only reads.
    if (row.stale) await this.#pool.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [row.id]);
    return { merchantId: row.merchant_id, mode: row.mode, keyId: row.id };
  }

  /** Ids of the merchant's ledger accounts in one mode. */
  async accountIds(merchantId: string, mode: KeyMode): Promise<string[]> {
    const { rows } = await this.#pool.query<{ id: string }>(
      `SELECT id FROM ledger_accounts WHERE owner_id = $1 AND kind = 'merchant' AND id LIKE $2`,
      [merchantId, `mer\\_%\\_${mode}\\_%`],
    );
    return rows.map((r) => r.id);
  }
}
