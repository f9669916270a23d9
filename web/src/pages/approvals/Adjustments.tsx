import { useState } from 'react';
import { api } from '../../api.ts';
import { Empty, ErrorAlert, Loading, Notice } from '../../components/Alert.tsx';
import { usePagedList } from '../../components/hooks.ts';
import { ReasonActions } from '../../components/ReasonActions.tsx';
import { amount, dateTime, text } from '../../format.ts';
import { Link } from '../../router.tsx';
import type { Adjustment } from '../../types.ts';
import { AdjustmentForm } from './AdjustmentForm.tsx';

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
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">ID</th>
              <th scope="col">User</th>
              <th scope="col">Direction</th>
              <th scope="col" className="num">
                Amount
              </th>
              <th scope="col">Reason</th>
              <th scope="col">Requested by</th>
              <th scope="col">Created</th>
              <th scope="col">Decision</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((a) => {
              const id = encodeURIComponent(a.id);
              return (
                <tr key={a.id}>
                  <th scope="row">{a.id}</th>
                  <td>
                    {a.user_id ? (
                      <Link to={`/users/${encodeURIComponent(a.user_id)}`}>{a.user_id}</Link>
                    ) : (
                      '—'
                    )}
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
                      actions={[
                        {
                          label: 'Approve',
                          done: 'approved',
                          run: (reason) => api.post(`/v1/operator/adjustments/${id}/approve`, { reason }),
                        },
                        {
                          label: 'Reject',
                          done: 'rejected',
                          danger: true,
                          requiresReason: true,
                          run: (reason) => api.post(`/v1/operator/adjustments/${id}/reject`, { reason }),
                        },
                      ]}
                      onDone={(done) => {
                        setNotice(`${a.id} ${done}.`);
                        list.reload();
                      }}
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <Loading when={list.loading} />
      <Empty when={!list.loading && !list.error && list.items.length === 0}>No adjustments waiting.</Empty>
      {list.hasMore ? (
        <button type="button" onClick={list.loadMore} disabled={list.loading}>
          Load more
        </button>
      ) : null}
    </>
  );
}
