/**
 * `created_from` / `created_to` as the console's lists take them (transactions, the audit log): an
 * ISO 8601 date (`2026-11-23`, a UTC day) or a date-time with a time zone. `created_from` is
 * inclusive, `created_to` exclusive, and a bare date as `created_to` includes that whole day.
 */
import { ChatPayError } from '../shared/errors.ts';

/** Instants as text, for `::timestamptz`: PostgreSQL keeps the microseconds a JS Date would drop. */
export interface CreatedRange {
  readonly from: string | undefined;
  readonly to: string | undefined;
}

const dateOnly = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
const dateTime =
  /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$/i;
const dayMs = 86_400_000;

function invalid(param: string, message: string): ChatPayError {
  return new ChatPayError('validation_failed', { param, message });
}

/** An ISO date or date-time as an exact instant. */
function instant(value: string, param: string, endOfDay: boolean): { text: string; ms: number } {
  if (dateOnly.test(value)) {
    const ms = Date.parse(`${value}T00:00:00Z`);
    // Date.parse rolls 2026-02-30 over to March; a real day prints back as itself.
    if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
      throw invalid(param, `${param} is not a valid date.`);
    }
    const at = endOfDay ? ms + dayMs : ms;
    return { text: new Date(at).toISOString(), ms: at };
  }
  const ms = Date.parse(value);
  if (!dateTime.test(value) || Number.isNaN(ms)) {
    throw invalid(param, `${param} must be an ISO 8601 date (2026-11-23) or date-time with a time zone.`);
  }
  return { text: value, ms };
}

/** Checks both bounds and their order; `validation_failed` names the bad one. */
export function createdRange(createdFrom: string | undefined, createdTo: string | undefined): CreatedRange {
  const from = createdFrom === undefined ? undefined : instant(createdFrom, 'created_from', false);
  const to = createdTo === undefined ? undefined : instant(createdTo, 'created_to', true);
  if (from && to && from.ms > to.ms) throw invalid('created_to', 'created_to is before created_from.');
  return { from: from?.text, to: to?.text };
}
