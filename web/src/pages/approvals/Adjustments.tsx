import { useState } from 'react';
import { ErrorAlert, Notice } from '../../components/Alert.tsx';
import { usePagedList } from '../../components/hooks.ts';
import { approveReject, ReasonActions } from '../../components/ReasonActions.tsx';
import { ListFooter, Table } from '../../components/Table.tsx';
import { amount, dateTime, text } from '../../format.ts';
import { Link } from '../../router.tsx';
import type { Adjustment } from '../../types.ts';
import { AdjustmentForm } from './AdjustmentForm.tsx';

const columns = [
  'ID',
  'User',
  'Direction',
  { num: 'Amount' },
  'Reason',
  'Requested by',
  'Created',
  'Decision',
];

/** The adjustment request form and the adjustments waiting for a second operator. */
export function Adjustments() {
  const list = usePagedList<Adjustment>('/v1/operator/adjustments', { status: 'pending_approval' });
  const [notice, setNotice] = useState<string | null>(null);

  return (
    <>
      <h3 id="adjustment-form-title">Request an adjustment</h3>
      <AdjustmentForm onRequested={list.reload} />
      <h3>Waiting for approval</h3>
      <ErrorAlert error={list.error} />
      <Notice message={notice} />
      <Table columns={columns}>
        {list.items.map((a) => (
          <tr key={a.id}>
            <th scope="row">{a.id}</th>
            <td>
              {a.user_id ? <Link to={`/users/${encodeURIComponent(a.user_id)}`}>{a.user_id}</Link> : '—'}
            </td>
            <td>{text(a.direction)}</td>
            <td className="num">
              {amount(a.amount)} {a.currency}
            </td>
            <td>{text(a.reason)}</td>
            <td>{text(a.requested_by)}</td>
            <td>{dateTime(a.created_at)}</td>
            <td>
              <ReasonActions
                actions={approveReject(`/v1/operator/adjustments/${encodeURIComponent(a.id)}`)}
                onDone={(done) => {
                  setNotice(`${a.id} ${done}.`);
                  list.reload();
                }}
              />
            </td>
          </tr>
        ))}
      </Table>
      <ListFooter list={list} empty="No adjustments waiting." />
    </>
  );
}
