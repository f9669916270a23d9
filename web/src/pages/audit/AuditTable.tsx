import type { Query } from '../../api.ts';
import { ErrorAlert } from '../../components/Alert.tsx';
import { usePagedList } from '../../components/hooks.ts';
import { ListFooter, Table } from '../../components/Table.tsx';
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
export function AuditTable({ path, query }: { path: string; query?: Query }) {
  const list = usePagedList<AuditEntry>(path, query);
  return (
    <>
      <ErrorAlert error={list.error} />
      <Table
        caption="Audit entries"
        columns={['When', 'Principal', 'Action', 'Object', 'Result', 'Change', 'Request']}
      >
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
      </Table>
      <ListFooter list={list} empty="No audit entries." />
    </>
  );
}
