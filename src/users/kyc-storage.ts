import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ChatPayError } from '../shared/errors.ts';

/**
 * Where KYC documents' bytes live: the data directory, or an S3-compatible bucket. Keys are made by
 * ChatPay (`<user id>/<document id>`), never taken from what a user sent, and each is written once.
 */
export interface KycStorage {
  /** Stores `bytes` under `key`. */
  put(key: string, bytes: Buffer, contentType: string): Promise<void>;
  /** The stored bytes, as a stream. Throws `kyc_document_not_found` when they are gone. */
  get(key: string): Promise<Readable>;
  /** Removes the bytes (a document whose row could not be written). Missing is fine. */
  delete(key: string): Promise<void>;
}

// Our ids only: a key can never climb out of its directory or name another user's folder.
const keyPattern = /^usr_[0-9a-z]{26}\/kyc_[0-9a-z]{26}$/;

/** Refuses any key ChatPay would not have made. */
export function checkStorageKey(key: string): string {
  if (!keyPattern.test(key)) throw new Error(`not a KYC storage key: ${JSON.stringify(key)}`);
  return key;
}

/**
 * Files under `<root>` (`<data dir>/kyc`): one directory per user, mode 0700, files 0600. A file is
 * written beside its final name and renamed, so a crash never leaves half a document to review.
 */
export class FileKycStorage implements KycStorage {
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  // The type is known from the row; a file needs no metadata of its own.
  async put(key: string, bytes: Buffer, _contentType?: string): Promise<void> {
    const path = this.#path(key);
    await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
    const partial = `${path}.${randomBytes(6).toString('hex')}.partial`;
    try {
      await writeFile(partial, bytes, { mode: 0o600, flag: 'wx' });
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  async get(key: string): Promise<Readable> {
    const path = this.#path(key);
    try {
      await stat(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new ChatPayError('kyc_document_not_found');
      throw error;
    }
    return createReadStream(path);
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  #path(key: string): string {
    return join(this.#root, checkStorageKey(key));
  }
}
