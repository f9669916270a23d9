import type { Query } from '../../api.ts';
import { Empty, ErrorAlert, Loading } from '../../components/Alert.tsx';
import { usePagedList } from '../../components/hooks.ts';
import { amount, dateTime, text } from '../../format.ts';
import { Link } from '../../router.tsx';
import type { TransactionItem } from '../../types.ts';

export function kindOf(item: TransactionItem): string {
  return item.type ?? item.kind ?? item.object ?? '—';
}

/** GET /v1/operator/transactions with these filters, 50 at a time, with "Load more". */
export function TransactionList({ query }: { query: Query }) {
  const list = usePagedList<TransactionItem>('/v1/operator/transactions', query);
  return (
    <>
      <ErrorAlert error={list.error} />
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Transactions</caption>
          <thead>
            <tr>
              <th scope="col">ID</th>
              <th scope="col">Created</th>
              <th scope="col">Type</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Amount
              </th>
              <th scope="col">Currency</th>
              <th scope="col">Provider</th>
              <th scope="col">User</th>
            </tr>
          </thead>
          <tbody>
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
          </tbody>
        </table>
      </div>
      <Loading when={list.loading} />
      <Empty when={!list.loading && !list.error && list.items.length === 0}>No transactions match.</Empty>
      {list.hasMore ? (
        <button type="button" onClick={list.loadMore} disabled={list.loading}>
          Load more
        </button>
      ) : null}
    </>
  );
}
