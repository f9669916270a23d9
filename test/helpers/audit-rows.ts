/**
 * A row of `audit_write_rows` (migrations 0020, 0021): the audit entry of a `POST /v1/transfers`
 * answered 201, with the answer `body` stored under `key` when one is given, claiming the key when
 * `hash` is given too. The other fields default to plain values.
 */
export function auditWriteRow(row: {
  readonly request: string;
  readonly principal?: string;
  readonly object?: string | null;
  readonly after?: string | null;
  readonly userAgent?: string;
  readonly key?: string | null;
  readonly body?: string;
  readonly hash?: string;
}): unknown[] {
  const principal = row.principal ?? 'user:usr_a';
  const key = row.key ?? null;
  return [
    principal,
    'POST /v1/transfers',
    row.object ?? null,
    null,
    row.after ?? null,
    201,
    '127.0.0.1',
    row.userAgent ?? 'test',
    row.request,
    key === null ? null : principal,
    key,
    key === null ? null : (row.body ?? '{"ok":true}'),
    ...(row.hash === undefined ? [] : [row.hash]),
  ];
}
