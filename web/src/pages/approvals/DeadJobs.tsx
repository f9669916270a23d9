import { useState } from 'react';
import { api } from '../../api.ts';
import { Empty, ErrorAlert, Loading, Notice } from '../../components/Alert.tsx';
import { useAction, usePagedList } from '../../components/hooks.ts';
import { dateTime, text } from '../../format.ts';

interface DeadJob {
  id: string;
  task?: string;
  attempts?: number;
  last_error?: string | null;
  updated_at?: string;
}

/** Jobs that failed every attempt (src/api/routes/operations.ts), with Retry. */
export function DeadJobs() {
  const list = usePagedList<DeadJob>('/v1/operator/jobs/dead');
  const retry = useAction();
  const [notice, setNotice] = useState<string | null>(null);

  const onRetry = async (job: DeadJob) => {
    setNotice(null);
    if (await retry.run(() => api.post(`/v1/operator/jobs/${encodeURIComponent(job.id)}/retry`, {}))) {
      setNotice(`Job ${job.id} queued again.`);
      list.reload();
    }
  };

  return (
    <>
      <ErrorAlert error={retry.error ?? list.error} />
      <Notice message={notice} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Task</th>
              <th scope="col" className="num">
                Attempts
              </th>
              <th scope="col">Last error</th>
              <th scope="col">Last attempt</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((j) => (
              <tr key={j.id}>
                <th scope="row">{j.id}</th>
                <td>{text(j.task)}</td>
                <td className="num">{text(j.attempts)}</td>
                <td className="wrap">{text(j.last_error)}</td>
                <td>{dateTime(j.updated_at)}</td>
                <td>
                  <button type="button" onClick={() => void onRetry(j)} disabled={retry.busy}>
                    Retry
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Loading when={list.loading} />
      <Empty when={!list.loading && !list.error && list.items.length === 0}>No dead jobs.</Empty>
    </>
  );
}
