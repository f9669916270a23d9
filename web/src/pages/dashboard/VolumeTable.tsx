import { Table } from '../../components/Table.tsx';
import type { VolumeRow } from '../../types.ts';

const periodLabels: Record<string, string> = { today: 'Today', last_30_days: 'Last 30 days' };
const periodOrder = ['today', 'last_30_days'];

function order(a: VolumeRow, b: VolumeRow): number {
  const byPeriod = periodOrder.indexOf(a.period) - periodOrder.indexOf(b.period);
  if (byPeriod !== 0) return byPeriod;
  return (
    a.currency.localeCompare(b.currency) ||
    a.kind.localeCompare(b.kind) ||
    (a.provider ?? '').localeCompare(b.provider ?? '')
  );
}

/**
 * Succeeded volume per period, currency, kind and provider. The volume cell holds the server's string
 * exactly (an end-to-end test compares it), in `volume-{period}-{currency}-{kind}-{provider|none}`.
 */
export function VolumeTable({ rows }: { rows: VolumeRow[] }) {
  if (rows.length === 0) return <p className="muted">No succeeded payments yet.</p>;
  const sorted = [...rows].sort(order);
  return (
    <Table columns={['Period', 'Currency', 'Kind', 'Provider', { num: 'Count' }, { num: 'Volume' }]}>
      {sorted.map((r) => {
        const key = `${r.period}-${r.currency}-${r.kind}-${r.provider ?? 'none'}`;
        return (
          <tr key={key}>
            <th scope="row">{periodLabels[r.period] ?? r.period}</th>
            <td>{r.currency}</td>
            <td>{r.kind}</td>
            <td>{r.provider ?? '—'}</td>
            <td className="num" data-testid={`count-${key}`}>
              {r.count}
            </td>
            <td className="num" data-testid={`volume-${key}`}>
              {r.volume}
            </td>
          </tr>
        );
      })}
    </Table>
  );
}
