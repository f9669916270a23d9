import { amount, dateTime, text } from '../format.ts';

function cell(key: string, value: unknown): string {
  if (typeof value === 'string' && (key.endsWith('_at') || key === 'day')) return dateTime(value);
  if (typeof value === 'string' && /(^|_)(amount|volume|fee|total|balance)$/.test(key)) return amount(value);
  return text(value);
}

/**
 * A table of whatever rows the server sent (ledger transfers, deliveries…): one column per key, so
 * a field the console does not know yet still shows.
 */
export function AutoTable({ rows, caption }: { rows: Record<string, unknown>[]; caption: string }) {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => k !== 'object');
  if (rows.length === 0) return <p className="muted">No {caption.toLowerCase()}.</p>;
  return (
    <div className="table-wrap">
      <table>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {keys.map((k) => (
              <th key={k} scope="col">
                {k.replaceAll('_', ' ')}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={typeof row.id === 'string' ? row.id : i}>
              {keys.map((k) => (
                <td key={k}>{cell(k, row[k])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** One object's fields as a description list. */
export function Details({ item, skip = [] }: { item: Record<string, unknown>; skip?: string[] }) {
  const entries = Object.entries(item).filter(
    ([k, v]) => !skip.includes(k) && k !== 'object' && !Array.isArray(v),
  );
  return (
    <dl className="details">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k.replaceAll('_', ' ')}</dt>
          <dd>{cell(k, v)}</dd>
        </div>
      ))}
    </dl>
  );
}
