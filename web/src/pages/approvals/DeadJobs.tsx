import { api } from '../../api.ts';
import { ErrorAlert, Notice } from '../../components/Alert.tsx';
import { useAction, usePagedList } from '../../components/hooks.ts';
import { ListFooter, Table } from '../../components/Table.tsx';
import { dateTime, text } from '../../format.ts';

interface DeadJob {
  id: string;
  task?: string;
  attempts?: number;
  last_error?: string | null;
  updated_at?: string;
}

const columns = ['Job', 'Task', { num: 'Attempts' }, 'Last error', 'Last attempt', 'Action'];

/** Jobs that failed every attempt (src/api/routes/operations.ts), with Retry. */
export function DeadJobs() {
  const list = usePagedList<DeadJob>('/v1/operator/jobs/dead');
  const retry = useAction();

  const onRetry = async (job: DeadJob) => {
    const path = `/v1/operator/jobs/${encodeURIComponent(job.id)}/retry`;
    if (await retry.run(() => api.post(path, {}), `Job ${job.id} queued again.`)) list.reload();
  };

  return (
    <>
      <ErrorAlert error={retry.error ?? list.error} />
      <Notice message={retry.done} />
      <Table columns={columns}>
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
      </Table>
      <ListFooter list={list} empty="No dead jobs." />
    </>
  );
}
