import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { inTransaction, type Pool, type PoolClient } from '../db/pool.ts';
import type { EventBus } from '../realtime/index.ts';
import { ChatPayError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import type { KycStorage } from './kyc-storage.ts';

/**
 * Know-your-customer: users send identity documents, operators (admin, support) look at them and
 * approve or reject each with a reason; an approval raises the user's level, and each level has its
 * own payment limits (`KYC_LIMITS`, enforced in payments/limits.ts).
 */
export const kycLevels = ['none', 'basic', 'full'] as const;
export type KycLevel = (typeof kycLevels)[number];
export const kycKinds = ['id_front', 'id_back', 'passport', 'selfie', 'proof_of_address'] as const;
export type KycKind = (typeof kycKinds)[number];
/** The level a document is sent for (nobody asks for `none`). */
export type KycDocumentLevel = Exclude<KycLevel, 'none'>;
export const kycStatuses = ['pending', 'approved', 'rejected'] as const;
export type KycStatus = (typeof kycStatuses)[number];
export type KycContentType = 'image/jpeg' | 'image/png' | 'application/pdf';

export const kycMaxBytesDefault = 5 * 1024 * 1024;
/** Documents waiting for review one user may have: enough for a full set twice over, no flood. */
export const kycPendingMax = 10;
const userDocumentsShown = 100;

// The file's own first bytes decide its type; the declared content type and name are the sender's word.
const signatures: readonly { type: KycContentType; magic: readonly number[] }[] = [
  { type: 'image/jpeg', magic: [0xff, 0xd8, 0xff] },
  { type: 'image/png', magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'application/pdf', magic: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
];

/** JPEG, PNG or PDF by magic bytes; undefined for anything else. */
export function detectContentType(bytes: Uint8Array): KycContentType | undefined {
  return signatures.find((s) => s.magic.every((byte, i) => bytes[i] === byte))?.type;
}

export interface KycDocumentView {
  readonly id: string;
  readonly object: 'kyc_document';
  readonly kind: KycKind;
  readonly level: KycDocumentLevel;
  readonly status: KycStatus;
  readonly content_type: KycContentType;
  readonly size_bytes: number;
  readonly created_at: string;
  readonly decided_at: string | null;
  /** Why it was rejected (or the reviewer's note on an approval). */
  readonly reason: string | null;
}

/** What operators see of a document: also whose it is, its hash and who decided. */
export interface OperatorKycDocumentView extends KycDocumentView {
  readonly sha256: string;
  readonly decided_by: string | null;
  readonly user: {
    readonly id: string;
    readonly email: string | null;
    readonly phone: string | null;
    readonly display_name: string | null;
    readonly kyc_level: KycLevel;
  };
}

interface DocumentRow {
  id: string;
  user_id: string;
  kind: KycKind;
  level: KycDocumentLevel;
  status: KycStatus;
  content_type: KycContentType;
  size_bytes: number;
  sha256: string;
  storage_key: string;
  created_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  reason: string | null;
}

interface OperatorRow extends DocumentRow {
  email: string | null;
  phone: string | null;
  display_name: string | null;
  kyc_level: KycLevel;
}

const columns = `d.id, d.user_id, d.kind, d.level, d.status, d.content_type, d.size_bytes, d.sha256,
  d.storage_key, d.created_at, d.decided_by, d.decided_at, d.reason`;

function view(row: DocumentRow): KycDocumentView {
  return {
    id: row.id,
    object: 'kyc_document',
    kind: row.kind,
    level: row.level,
    status: row.status,
    content_type: row.content_type,
    size_bytes: row.size_bytes,
    created_at: row.created_at.toISOString(),
    decided_at: row.decided_at?.toISOString() ?? null,
    reason: row.reason,
  };
}

function operatorView(row: OperatorRow): OperatorKycDocumentView {
  return {
    ...view(row),
    sha256: row.sha256,
    decided_by: row.decided_by,
    user: {
      id: row.user_id,
      email: row.email,
      phone: row.phone,
      display_name: row.display_name,
      kyc_level: row.kyc_level,
    },
  };
}

const levelRank: Record<KycLevel, number> = { none: 0, basic: 1, full: 2 };

export interface KycSubmission {
  readonly kind: KycKind;
  readonly level: KycDocumentLevel;
  readonly bytes: Buffer;
}

export interface KycListFilter {
  readonly status?: KycStatus | undefined;
  readonly userId?: string | undefined;
  /** Rows to read (callers ask one more than they show, for `has_more`). */
  readonly limit: number;
  readonly startingAfter?: string | undefined;
}

export interface KycDecision {
  /** Whose document it is. */
  readonly userId: string;
  readonly before: KycDocumentView;
  readonly after: KycDocumentView;
  readonly levelBefore: KycLevel;
  readonly levelAfter: KycLevel;
}

export interface KycOptions {
  readonly pool: Pool;
  readonly storage: KycStorage;
  /** Where the user hears of a decision (`kyc.approved`, `kyc.rejected`). */
  readonly events?: EventBus | undefined;
  /** Largest document accepted (`KYC_MAX_BYTES`). */
  readonly maxBytes?: number | undefined;
}

export class Kyc {
  readonly #pool: Pool;
  readonly #storage: KycStorage;
  readonly #events: EventBus | undefined;
  readonly maxBytes: number;

  constructor(options: KycOptions) {
    this.#pool = options.pool;
    this.#storage = options.storage;
    this.#events = options.events;
    this.maxBytes = options.maxBytes ?? kycMaxBytesDefault;
  }

  /**
   * Stores a document under a fresh id (the bytes first, then its row: a row never points at
   * nothing) after checking its size and, by its first bytes, its type.
   */
  async submit(userId: string, submission: KycSubmission): Promise<KycDocumentView> {
    const contentType = this.#check(submission.bytes);
    await this.#checkPending(this.#pool, userId); // fail fast, before storing anything
    const id = newId('kyc');
    const key = `${userId}/${id}`;
    await this.#storage.put(key, submission.bytes, contentType);
    try {
      const row = await inTransaction(this.#pool, async (client) => {
        // One submission per user at a time, so parallel uploads can't all slip under the cap.
        await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`kyc:${userId}`]);
        await this.#checkPending(client, userId);
        const { rows } = await client.query<DocumentRow>(
          `INSERT INTO kyc_documents AS d (id, user_id, kind, level, status, content_type, size_bytes, sha256, storage_key)
           VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8) RETURNING ${columns}`,
          [
            id,
            userId,
            submission.kind,
            submission.level,
            contentType,
            submission.bytes.length,
            createHash('sha256').update(submission.bytes).digest('hex'),
            key,
          ],
        );
        return rows[0] as DocumentRow;
      });
      return view(row);
    } catch (error) {
      await this.#storage.delete(key).catch(() => undefined);
      throw error;
    }
  }

  /** The user's level and their latest documents, newest first. */
  async forUser(userId: string): Promise<{ level: KycLevel; documents: KycDocumentView[] }> {
    const [user, documents] = await Promise.all([
      this.#pool.query<{ kyc_level: KycLevel }>('SELECT kyc_level FROM users WHERE id = $1', [userId]),
      this.#pool.query<DocumentRow>(
        `SELECT ${columns} FROM kyc_documents d WHERE d.user_id = $1 ORDER BY d.created_at DESC, d.id DESC LIMIT $2`,
        [userId, userDocumentsShown],
      ),
    ]);
    if (!user.rows[0]) throw new ChatPayError('unauthenticated');
    return { level: user.rows[0].kyc_level, documents: documents.rows.map(view) };
  }

  /** Documents for review, newest first, with whose they are. */
  async list(filter: KycListFilter): Promise<OperatorKycDocumentView[]> {
    const { rows } = await this.#pool.query<OperatorRow>(
      `SELECT ${columns}, u.email, u.phone, u.display_name, u.kyc_level
         FROM kyc_documents d JOIN users u ON u.id = d.user_id
        WHERE ($1::text IS NULL OR d.status = $1) AND ($2::text IS NULL OR d.user_id = $2)
          AND ($3::text IS NULL OR d.id < $3)
        ORDER BY d.id DESC LIMIT $4`,
      [filter.status ?? null, filter.userId ?? null, filter.startingAfter ?? null, filter.limit],
    );
    return rows.map(operatorView);
  }

  /** The document's stored bytes, with its detected type (never anything the sender declared). */
  async open(id: string): Promise<{ document: KycDocumentView; stream: Readable }> {
    const { rows } = await this.#pool.query<DocumentRow>(
      `SELECT ${columns} FROM kyc_documents d WHERE d.id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row) throw new ChatPayError('kyc_document_not_found');
    return { document: view(row), stream: await this.#storage.get(row.storage_key) };
  }

  /**
   * Approves or rejects a pending document. An approval raises the user's level to the document's,
   * in the same transaction; a document is decided once, and never by its own user.
   */
  async decide(
    id: string,
    operatorId: string,
    decision: { approve: boolean; reason?: string | undefined },
  ): Promise<KycDecision> {
    const reason = decision.reason?.trim() || null;
    if (!decision.approve && !reason) {
      throw new ChatPayError('validation_failed', { param: 'reason', message: 'Say why it is rejected.' });
    }
    const decided = await inTransaction(this.#pool, async (client): Promise<KycDecision> => {
      const { rows } = await client.query<DocumentRow>(
        `SELECT ${columns} FROM kyc_documents d WHERE d.id = $1 FOR UPDATE`,
        [id],
      );
      const row = rows[0];
      if (!row) throw new ChatPayError('kyc_document_not_found');
      if (row.user_id === operatorId) {
        throw new ChatPayError('approval_by_requester', {
          message: 'Another operator must review your own documents.',
        });
      }
      if (row.status !== 'pending') {
        throw new ChatPayError('kyc_document_already_decided', {
          message: `The document was already ${row.status}.`,
        });
      }
      const updated = await client.query<DocumentRow>(
        `UPDATE kyc_documents AS d SET status = $2, decided_by = $3, decided_at = now(), reason = $4
          WHERE d.id = $1 RETURNING ${columns}`,
        [id, decision.approve ? 'approved' : 'rejected', operatorId, reason],
      );
      const levels = await this.#raiseLevel(client, row, decision.approve);
      return {
        before: view(row),
        after: view(updated.rows[0] as DocumentRow),
        ...levels,
        userId: row.user_id,
      };
    });
    await this.#notify(decided.userId, decided.after, decided.levelAfter);
    return decided;
  }

  async #raiseLevel(
    client: PoolClient,
    row: DocumentRow,
    approve: boolean,
  ): Promise<{ levelBefore: KycLevel; levelAfter: KycLevel }> {
    const { rows } = await client.query<{ kyc_level: KycLevel }>(
      'SELECT kyc_level FROM users WHERE id = $1 FOR UPDATE',
      [row.user_id],
    );
    const levelBefore = rows[0]?.kyc_level ?? 'none';
    if (!approve || levelRank[row.level] <= levelRank[levelBefore])
      return { levelBefore, levelAfter: levelBefore };
    await client.query('UPDATE users SET kyc_level = $2 WHERE id = $1', [row.user_id, row.level]);
    return { levelBefore, levelAfter: row.level };
  }

  /** Tells the user; the decision is committed, so a lost notice must not turn it into an error. */
  async #notify(userId: string, document: KycDocumentView, level: KycLevel): Promise<void> {
    try {
      await this.#events?.publish(userId, {
        id: newId('evt'),
        type: document.status === 'approved' ? 'kyc.approved' : 'kyc.rejected',
        created_at: new Date().toISOString(),
        data: { ...document, kyc_level: level },
      });
    } catch {
      // Clients re-read GET /v1/me/kyc when they reconnect.
    }
  }

  #check(bytes: Buffer): KycContentType {
    if (bytes.length === 0) {
      throw new ChatPayError('kyc_upload_invalid', { param: 'file', message: 'The file is empty.' });
    }
    if (bytes.length > this.maxBytes) throw new ChatPayError('kyc_file_too_large', { param: 'file' });
    const type = detectContentType(bytes);
    if (!type) throw new ChatPayError('kyc_file_type_unsupported', { param: 'file' });
    return type;
  }

  async #checkPending(db: Pool | PoolClient, userId: string): Promise<void> {
    const { rows } = await db.query<{ pending: number }>(
      `SELECT count(*)::int AS pending FROM kyc_documents WHERE user_id = $1 AND status = 'pending'`,
      [userId],
    );
    if ((rows[0]?.pending ?? 0) >= kycPendingMax) {
      throw new ChatPayError('kyc_too_many_pending', {
        message: `You have ${kycPendingMax} documents waiting for review; send more once they are reviewed.`,
      });
    }
  }
}
