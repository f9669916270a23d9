import type { Query } from '../../api.ts';
import { Empty, ErrorAlert, Loading } from '../../components/Alert.tsx';
import { usePagedList } from '../../components/hooks.ts';
import { dateTime, text } from '../../format.ts';
import type { AuditEntry } from '../../types.ts';

function Change({ entry }: { entry: AuditEntry }) {
  if (entry.before == null && entry.after == null) return <>—</>;
  return (
    <details>
      <summary>Show change</summary>
      <pre className="json">
        {JSON.stringify({ before: entry.before ?? null, after: entry.after ?? null }, null, 2)}
      </pre>
    </details>
  );
}

/** Audit entries from `path` (the whole log or one user's trail), newest first, with "Load more". */
export function AuditTable({ path, query }: { path: string; query: Query }) {
  const list = usePagedList<AuditEntry>(path, query);
  return (
    <>
      <ErrorAlert error={list.error} />
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Audit entries</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Principal</th>
              <th scope="col">Action</th>
              <th scope="col">Object</th>
              <th scope="col">Result</th>
              <th scope="col">Change</th>
              <th scope="col">Request</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((e) => (
              <tr key={e.id}>
                <th scope="row">{dateTime(e.at ?? e.created_at)}</th>
                <td className="wrap">{text(e.principal)}</td>
                <td className="wrap">{text(e.action)}</td>
                <td className="wrap">{text(e.object_id)}</td>
                <td>{text(e.status)}</td>
                <td>
                  <Change entry={e} />
                </td>
                <td className="mono">{text(e.request_id)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Loading when={list.loading} />
      <Empty when={!list.loading && !list.error && list.items.length === 0}>No audit entries.</Empty>
      {list.hasMore ? (
        <button type="button" onClick={list.loadMore} disabled={list.loading}>
          Load more
        </button>
      ) : null}
    </>
  );
}
