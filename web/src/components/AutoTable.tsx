import type { HTMLAttributes, ReactNode } from 'react';
import { amount, dateTime, text } from '../format.ts';
import { Table } from './Table.tsx';

function cell(key: string, value: unknown): string {
  if (typeof value === 'string' && (key.endsWith('_at') || key === 'day')) return dateTime(value);
  if (typeof value === 'string' && /(^|_)(amount|volume|fee|total|balance)$/.test(key)) return amount(value);
  return text(value);
}

const label = (key: string) => key.replaceAll('_', ' ');

/**
 * A table of whatever rows the server sent (ledger transfers, deliveries…): one column per key, so
 * a field the console does not know yet still shows.
 */
export function AutoTable({ rows, caption }: { rows: Record<string, unknown>[]; caption: string }) {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => k !== 'object');
  if (rows.length === 0) return <p className="muted">No {caption.toLowerCase()}.</p>;
  return (
    <Table caption={caption} columns={keys.map(label)}>
      {rows.map((row, i) => (
        <tr key={typeof row.id === 'string' ? row.id : i}>
          {keys.map((k) => (
            <td key={k}>{cell(k, row[k])}</td>
          ))}
        </tr>
      ))}
    </Table>
  );
}

/** One `<dt>`/`<dd>` pair of a `dl.details`; other props (a `data-testid`…) go to the `<dd>`. */
export function Term({
  label,
  children,
  ...dd
}: HTMLAttributes<HTMLElement> & { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd {...dd}>{children}</dd>
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
        <Term key={k} label={label(k)}>
          {cell(k, v)}
        </Term>
      ))}
    </dl>
  );
}
