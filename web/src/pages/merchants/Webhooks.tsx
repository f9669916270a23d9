import { api, itemsOf } from '../../api.ts';
import { Empty, ErrorAlert, Loading, Notice } from '../../components/Alert.tsx';
import { useAction, useResource } from '../../components/hooks.ts';
import { Table } from '../../components/Table.tsx';
import { dateTime, text } from '../../format.ts';

export interface WebhookEndpoint {
  id: string;
  url?: string;
  mode?: string;
  events?: string[];
  disabled_at?: string | null;
  created_at?: string;
}

interface Delivery {
  id: string;
  event_type?: string;
  status?: string;
  attempts?: number;
  last_status?: number | null;
  last_error?: string | null;
  last_attempt_at?: string | null;
  created_at?: string;
}

/** One endpoint's delivery log, newest first, with Replay (admin). */
function Deliveries({ endpoint, editable }: { endpoint: WebhookEndpoint; editable: boolean }) {
  const deliveries = useResource<unknown>(
    `/v1/operator/webhook_endpoints/${encodeURIComponent(endpoint.id)}/deliveries`,
    { limit: 20 },
  );
  const replay = useAction();
  const rows = itemsOf<Delivery>(deliveries.data);

  const onReplay = async (d: Delivery) => {
    const path = `/v1/operator/webhook_deliveries/${encodeURIComponent(d.id)}/replay`;
    if (await replay.run(() => api.post(path, {}), `Delivery ${d.id} sent again.`)) deliveries.reload();
  };

  return (
    <>
      <ErrorAlert error={replay.error ?? deliveries.error} />
      <Notice message={replay.done} />
      <Loading when={deliveries.loading && rows.length === 0} />
      <Empty when={rows.length === 0 && !deliveries.loading}>No deliveries yet.</Empty>
      {rows.length > 0 ? (
        <Table
          caption={`Deliveries to ${endpoint.url ?? ''}`}
          columns={[
            'Delivery',
            'Event',
            'Status',
            { num: 'Attempts' },
            'Last answer',
            'Last attempt',
            editable && 'Action',
          ]}
        >
          {rows.map((d) => (
            <tr key={d.id}>
              <th scope="row" className="mono">
                {d.id}
              </th>
              <td>{text(d.event_type)}</td>
              <td>
                <span className={`status status-${d.status ?? 'unknown'}`}>{text(d.status)}</span>
              </td>
              <td className="num">{text(d.attempts)}</td>
              <td className="wrap">{d.last_error ?? text(d.last_status)}</td>
              <td>{dateTime(d.last_attempt_at)}</td>
              {editable ? (
                <td>
                  <button type="button" disabled={replay.busy} onClick={() => void onReplay(d)}>
                    Replay
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
        </Table>
      ) : null}
    </>
  );
}

export function Webhooks({ endpoints, editable }: { endpoints: WebhookEndpoint[]; editable: boolean }) {
  if (endpoints.length === 0) return <p className="muted">No webhook endpoints.</p>;
  return (
    <ul className="plain stack">
      {endpoints.map((e) => (
        <li key={e.id}>
          <article aria-labelledby={`endpoint-${e.id}`}>
            <h3 id={`endpoint-${e.id}`} className="mono wrap">
              {e.url ?? e.id}
            </h3>
            <p className="muted">
              {e.id} · {e.mode ?? '—'} · {e.events?.length ? e.events.join(', ') : 'every event'}
              {e.disabled_at ? ` · disabled ${dateTime(e.disabled_at)}` : ''}
            </p>
            <Deliveries endpoint={e} editable={editable} />
          </article>
        </li>
      ))}
    </ul>
  );
}
