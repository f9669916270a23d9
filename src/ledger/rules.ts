import { minorUnitsMax } from '../shared/money.ts';

/** Client transfer ids: URL- and log-safe, no `:` (reserved for ids the engine makes itself). */
export const transferIdPattern = /^[A-Za-z0-9_-]{1,100}$/;
/** Account ids may also use `:` and `.` so services can derive them (`wallet:usr_…:ETB`). */
export const accountIdPattern = /^[A-Za-z0-9_.:-]{1,128}$/;
export const transferCodePattern = /^[a-z0-9_.-]{1,64}$/;
export const metadataBytesMax = 4096;
/** Ten years: a hold longer than that is a bug in the caller. */
export const pendingTimeoutSecondsMax = 10 * 365 * 24 * 3600;
export { minorUnitsMax };

/** The id the engine gives the void that expires pending transfer `pendingId`. */
export function expiryTransferId(pendingId: string): string {
  return `expire:${pendingId}`;
}

export function isValidMetadata(metadata: unknown): boolean {
  if (metadata === undefined || metadata === null) return true;
  if (typeof metadata !== 'object' || Array.isArray(metadata)) return false;
  try {
    return Buffer.byteLength(JSON.stringify(metadata), 'utf8') <= metadataBytesMax;
  } catch {
    return false;
  }
}

/**
 * JSON with object keys sorted at every depth, so two metadata objects compare equal exactly when
 * PostgreSQL's jsonb would store them equal (jsonb does not keep key order).
 */
export function canonicalJson(value: unknown, omit?: ReadonlySet<string>): string {
  return JSON.stringify(sortKeys(value ?? null, omit));
}

/** Keys sorted at every depth; members named in `omit`, at any depth, left out. */
function sortKeys(value: unknown, omit: ReadonlySet<string> | undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => sortKeys(item, omit));
  if (value && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      if (!omit?.has(key)) sorted[key] = sortKeys((value as Record<string, unknown>)[key], omit);
    }
    return sorted;
  }
  return value;
}
