/** Display helpers. Amounts stay strings: they are shown as the server wrote them, never parsed. */

export function text(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** "1234567.50" → "1,234,567.50", on the string (no float ever). */
export function amount(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(value);
  if (!match) return value;
  const [, sign = '', whole = '', fraction = ''] = match;
  return `${sign}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction}`;
}

export function dateTime(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function percent(rate: number | null | undefined): string {
  if (typeof rate !== 'number' || Number.isNaN(rate)) return '—';
  return `${(rate * 100).toFixed(1)} %`;
}

/**
 * A `<input type="date">` value for created_from / created_to: the API takes the date itself (a UTC
 * day; as `created_to` it includes that whole day).
 */
export function dateParam(value: string): string | undefined {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : undefined;
}
