import type { Query } from '../../api.ts';
import { ErrorAlert } from '../../components/Alert.tsx';
import { usePagedList } from '../../components/hooks.ts';
import { ListFooter, Table } from '../../components/Table.tsx';
import { amount, dateTime, text } from '../../format.ts';
import { Link } from '../../router.tsx';
import type { TransactionItem } from '../../types.ts';

function kindOf(item: TransactionItem): string {
  return item.type ?? item.kind ?? item.object ?? '—';
}

/** GET /v1/operator/transactions with these filters, 50 at a time, with "Load more". */
export function TransactionList({ query }: { query: Query }) {
  const list = usePagedList<TransactionItem>('/v1/operator/transactions', query);
  return (
    <>
      <ErrorAlert error={list.error} />
      <Table
        caption="Transactions"
        columns={['ID', 'Created', 'Type', 'Status', { num: 'Amount' }, 'Currency', 'Provider', 'User']}
      >
        {list.items.map((t) => (
          <tr key={t.id}>
            <th scope="row">
              <Link to={`/transactions/${encodeURIComponent(t.id)}`}>{t.id}</Link>
            </th>
            <td>{dateTime(t.created_at)}</td>
            <td>{kindOf(t)}</td>
            <td>
              <span className={`status status-${t.status ?? 'unknown'}`}>{text(t.status)}</span>
            </td>
            <td className="num">{amount(t.amount)}</td>
            <td>{text(t.currency)}</td>
            <td>{text(t.provider)}</td>
            <td>
              {t.user_id ? <Link to={`/users/${encodeURIComponent(t.user_id)}`}>{t.user_id}</Link> : '—'}
            </td>
          </tr>
        ))}
      </Table>
      <ListFooter list={list} empty="No transactions match." />
    </>
  );
}
