import { ErrorAlert } from '../../components/Alert.tsx';
import { usePagedList } from '../../components/hooks.ts';
import { ListFooter, Table } from '../../components/Table.tsx';
import { dateTime, text } from '../../format.ts';
import type { KycSubmission } from '../../types.ts';

/** A user's KYC documents (GET /v1/operator/kyc?user_id=, admin and support only). */
export function UserKyc({ userId }: { userId: string }) {
  const list = usePagedList<KycSubmission>('/v1/operator/kyc', { user_id: userId });
  return (
    <>
      <ErrorAlert error={list.error} />
      {list.items.length > 0 ? (
        <Table caption="KYC submissions" columns={['Document', 'Kind', 'Level', 'Status', 'Sent', 'Reason']}>
          {list.items.map((s) => (
            <tr key={s.id}>
              <th scope="row">
                <a href={`/v1/operator/kyc/${encodeURIComponent(s.id)}/file`} target="_blank" rel="noopener">
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
        </Table>
      ) : null}
      <ListFooter list={list} empty="No KYC submissions." />
    </>
  );
}
