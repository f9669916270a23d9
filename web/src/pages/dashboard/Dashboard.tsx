import { lazy, Suspense, useId, useState } from 'react';
import { api } from '../../api.ts';
import { ErrorAlert, Loading, Notice } from '../../components/Alert.tsx';
import { useAction, useResource } from '../../components/hooks.ts';
import { Page, Section } from '../../components/Page.tsx';
import { Table } from '../../components/Table.tsx';
import { dateTime, percent } from '../../format.ts';
import type { Dashboard as Figures } from '../../types.ts';
import { VolumeTable } from './VolumeTable.tsx';

const Charts = lazy(() => import('./Charts.tsx'));

const countCards: [key: string, label: string][] = [
  ['pending', 'Pending payments'],
  ['needs_review', 'Needs review'],
  ['requires_approval', 'Awaiting approval'],
  ['dead_jobs', 'Dead jobs'],
  ['kyc_pending', 'KYC pending'],
  ['adjustments_pending', 'Adjustments pending'],
];

function Figure({ label, value, testId }: { label: string; value: number | undefined; testId: string }) {
  return (
    <div className="figure">
      <dt>{label}</dt>
      <dd data-testid={testId}>{value ?? '—'}</dd>
    </div>
  );
}

export default function Dashboard() {
  // '' is the server's default: the mode of people's wallets (live in production).
  const [mode, setMode] = useState<'' | 'live' | 'test'>('');
  const query = mode ? `?mode=${mode}` : '';
  const figures = useResource<Figures>('/v1/operator/dashboard', mode ? { mode } : undefined);
  const refresh = useAction();
  const data = figures.data;
  const modeId = useId();

  const onRefresh = async () => {
    if (await refresh.run(() => api.post(`/v1/operator/dashboard/refresh${query}`), 'Figures recomputed.')) {
      figures.reload();
    }
  };

  return (
    <Page
      title="Dashboard"
      actions={
        <>
          <div className="field inline">
            <label htmlFor={modeId}>Money</label>
            <select
              id={modeId}
              data-testid="dashboard-mode"
              value={mode || data?.mode || ''}
              onChange={(e) => setMode(e.target.value as 'live' | 'test')}
            >
              <option value="live">Live</option>
              <option value="test">Test</option>
            </select>
          </div>
          <button type="button" onClick={onRefresh} disabled={refresh.busy}>
            Refresh
          </button>
        </>
      }
    >
      <ErrorAlert error={refresh.error ?? figures.error} />
      <Notice message={refresh.done} />
      <Loading when={figures.loading && !data} />
      {data ? (
        <>
          <p className="muted">
            {data.mode === 'test' ? 'Test money (sandboxes and test keys). ' : 'Live money. '}
            {data.as_of ? `As of ${dateTime(data.as_of)}` : 'Not computed yet: press Refresh.'}
          </p>
          <Section id="counts" title="Work waiting">
            <dl className="figures">
              {countCards.map(([key, label]) => (
                <Figure key={key} label={label} value={data.counts?.[key]} testId={`count-${key}`} />
              ))}
            </dl>
          </Section>
          <Section id="active" title="Active users">
            <dl className="figures">
              <Figure label="Today" value={data.active_users?.today} testId="active-today" />
              <Figure label="Last 30 days" value={data.active_users?.last_30_days} testId="active-30d" />
            </dl>
          </Section>
          <Section id="volume" title="Volume">
            <VolumeTable rows={data.volume ?? []} />
          </Section>
          <Section id="providers" title="Provider success rates (last 30 days)">
            <ProviderRates data={data} />
          </Section>
          <Suspense fallback={<p className="muted">Loading charts…</p>}>
            <Charts daily={data.daily ?? []} providers={data.providers ?? []} />
          </Suspense>
        </>
      ) : null}
    </Page>
  );
}

function ProviderRates({ data }: { data: Figures }) {
  const rows = data.providers ?? [];
  if (rows.length === 0) return <p className="muted">No provider payments in the last 30 days.</p>;
  return (
    <Table columns={['Provider', { num: 'Succeeded' }, { num: 'Failed' }, { num: 'Success rate' }]}>
      {rows.map((p) => (
        <tr key={p.provider}>
          <th scope="row">{p.provider}</th>
          <td className="num" data-testid={`provider-succeeded-${p.provider}`}>
            {p.succeeded}
          </td>
          <td className="num" data-testid={`provider-failed-${p.provider}`}>
            {p.failed}
          </td>
          <td className="num" data-testid={`provider-rate-${p.provider}`}>
            {percent(p.success_rate)}
          </td>
        </tr>
      ))}
    </Table>
  );
}
