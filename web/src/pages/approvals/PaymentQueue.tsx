import { useState } from 'react';
import { api } from '../../api.ts';
import { Empty, ErrorAlert, Loading, Notice } from '../../components/Alert.tsx';
import { usePagedList } from '../../components/hooks.ts';
import { type ReasonAction, ReasonActions } from '../../components/ReasonActions.tsx';
import { amount, dateTime, text } from '../../format.ts';
import { Link } from '../../router.tsx';
import type { TransactionItem as Payment } from '../../types.ts';

function destinationOf(p: Payment): string {
  if (!p.destination) return '—';
  return Object.entries(p.destination)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
}

const queues = {
  approval: {
    query: { kind: 'withdrawal', status: 'requires_approval' },
    reasonRequired: false,
    actions: (id: string): ReasonAction[] => [
      {
        label: 'Approve',
        done: 'approved',
        run: (reason) => api.post(`/v1/withdrawals/${id}/approve`, { reason }),
      },
      {
        label: 'Reject',
        done: 'rejected',
        danger: true,
        run: (reason) => api.post(`/v1/withdrawals/${id}/reject`, { reason }),
      },
    ],
  },
  review: {
    query: { status: 'needs_review' },
    reasonRequired: true,
    actions: (id: string): ReasonAction[] => [
      {
        label: 'Resolve succeeded',
        done: 'resolved as succeeded',
        run: (reason) => api.post(`/v1/operator/payments/${id}/resolve`, { outcome: 'succeeded', reason }),
      },
      {
        label: 'Resolve failed',
        done: 'resolved as failed',
        danger: true,
        run: (reason) => api.post(`/v1/operator/payments/${id}/resolve`, { outcome: 'failed', reason }),
      },
    ],
  },
};

/** Withdrawals waiting for approval, or payments in needs_review, each with its decisions. */
export function PaymentQueue({ queue }: { queue: keyof typeof queues }) {
  const config = queues[queue];
  const list = usePagedList<Payment>('/v1/operator/payments', config.query);
  const [notice, setNotice] = useState<string | null>(null);

  return (
    <>
      <ErrorAlert error={list.error} />
      <Notice message={notice} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">ID</th>
              <th scope="col">User</th>
              <th scope="col" className="num">
                Amount
              </th>
              <th scope="col" className="num">
                Fee
              </th>
              <th scope="col">Provider</th>
              <th scope="col">{queue === 'review' ? 'Why' : 'Destination'}</th>
              <th scope="col">Created</th>
              <th scope="col">Decision</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((p) => (
              <tr key={p.id}>
                <th scope="row">
                  <Link to={`/transactions/${encodeURIComponent(p.id)}`}>{p.id}</Link>
                  <div className="muted">{text(p.object)}</div>
                </th>
                <td>
                  {p.user_id ? <Link to={`/users/${encodeURIComponent(p.user_id)}`}>{p.user_id}</Link> : '—'}
                </td>
                <td className="num">
                  {amount(p.amount)} {p.currency}
                </td>
                <td className="num">{amount(p.fee)}</td>
                <td>{text(p.provider)}</td>
                <td>{queue === 'review' ? text(p.review_reason) : destinationOf(p)}</td>
                <td>{dateTime(p.created_at)}</td>
                <td>
                  <ReasonActions
                    actions={config.actions(encodeURIComponent(p.id))}
                    reasonRequired={config.reasonRequired}
                    onDone={(done) => {
                      setNotice(`${p.id} ${done}.`);
                      list.reload();
                    }}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Loading when={list.loading} />
      <Empty when={!list.loading && !list.error && list.items.length === 0}>Nothing waiting.</Empty>
      {list.hasMore ? (
        <button type="button" onClick={list.loadMore} disabled={list.loading}>
          Load more
        </button>
      ) : null}
    </>
  );
}
