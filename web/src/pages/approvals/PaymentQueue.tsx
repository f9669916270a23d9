import { useState } from 'react';
import { api } from '../../api.ts';
import { ErrorAlert, Notice } from '../../components/Alert.tsx';
import { usePagedList } from '../../components/hooks.ts';
import { approveReject, type ReasonAction, ReasonActions } from '../../components/ReasonActions.tsx';
import { ListFooter, Table } from '../../components/Table.tsx';
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
    detail: 'Destination',
    detailOf: destinationOf,
    actions: (id: string) => approveReject(`/v1/withdrawals/${id}`, { rejectNeedsReason: false }),
  },
  review: {
    query: { status: 'needs_review' },
    reasonRequired: true,
    detail: 'Why',
    detailOf: (p: Payment) => text(p.review_reason),
    actions: (id: string) =>
      (['succeeded', 'failed'] as const).map(
        (outcome): ReasonAction => ({
          label: `Resolve ${outcome}`,
          done: `resolved as ${outcome}`,
          danger: outcome === 'failed',
          run: (reason) => api.post(`/v1/operator/payments/${id}/resolve`, { outcome, reason }),
        }),
      ),
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
      <Table
        columns={[
          'ID',
          'User',
          { num: 'Amount' },
          { num: 'Fee' },
          'Provider',
          config.detail,
          'Created',
          'Decision',
        ]}
      >
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
            <td>{config.detailOf(p)}</td>
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
      </Table>
      <ListFooter list={list} empty="Nothing waiting." />
    </>
  );
}
