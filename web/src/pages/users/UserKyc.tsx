import { Empty, ErrorAlert, Loading } from '../../components/Alert.tsx';
import { usePagedList } from '../../components/hooks.ts';
import { dateTime, text } from '../../format.ts';
import type { KycSubmission } from '../../types.ts';

/** A user's KYC documents (GET /v1/operator/kyc?user_id=, admin and support only). */
export function UserKyc({ userId }: { userId: string }) {
  const list = usePagedList<KycSubmission>('/v1/operator/kyc', { user_id: userId });
  return (
    <>
      <ErrorAlert error={list.error} />
      {list.items.length > 0 ? (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">KYC submissions</caption>
            <thead>
              <tr>
                <th scope="col">Document</th>
                <th scope="col">Kind</th>
                <th scope="col">Level</th>
                <th scope="col">Status</th>
                <th scope="col">Sent</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((s) => (
                <tr key={s.id}>
                  <th scope="row">
                    <a
                      href={`/v1/operator/kyc/${encodeURIComponent(s.id)}/file`}
                      target="_blank"
                      rel="noopener"
                    >
                      {s.id}
                    </a>
                  </th>
                  <td>{text(s.kind)}</td>
                  <td>{text(s.level)}</td>
                  <td>
                    <span className={`status status-${s.status ?? 'unknown'}`}>{text(s.status)}</span>
                  </td>
                  <td>{dateTime(s.created_at)}</td>
                  <td className="wrap">{text(s.reason)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Loading when={list.loading} />
      <Empty when={!list.loading && !list.error && list.items.length === 0}>No KYC submissions.</Empty>
      {list.hasMore ? (
        <button type="button" onClick={list.loadMore} disabled={list.loading}>
          Load more
        </button>
      ) : null}
    </>
  );
}
