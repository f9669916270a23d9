import { Empty, ErrorAlert, Loading } from '../../components/Alert.tsx';
import { useResource } from '../../components/hooks.ts';
import { Page, Section } from '../../components/Page.tsx';
import { Table } from '../../components/Table.tsx';
import { dateTime } from '../../format.ts';
import { can } from '../../roles.ts';
import { useRole } from '../../session.tsx';
import { readProviders } from './providerData.ts';
import { RulesEditor } from './RulesEditor.tsx';

function yesNo(value: boolean | undefined): string {
  if (value === undefined) return '—';
  return value ? 'Enabled' : 'Disabled';
}

/** The two rule lists, each edited as JSON and saved to /v1/operator/{id}. */
const ruleLists = [
  {
    id: 'fees',
    title: 'Fee rules',
    help: 'Each rule: {"provider": "mpesa" or "*", "currency": "KES" or "*", "direction": "deposit" or "withdrawal", "percent": "1.5", "fixed"?, "min"?, "max"?} (amounts in major units). The most specific rule wins.',
  },
  {
    id: 'limits',
    title: 'Limits',
    help: 'Each rule: {"currency": "KES", "direction": "deposit" or "withdrawal", "per_transaction_min"?, "per_transaction_max"?, "per_day_max"?} (major units; a day is the last 24 hours).',
  },
] as const;

export function Providers() {
  const role = useRole();
  const editable = can(role, 'edit_fees');
  const resource = useResource<unknown>('/v1/operator/providers');
  const { providers, ...rules } = readProviders(resource.data);

  return (
    <Page title="Providers">
      <ErrorAlert error={resource.error} />
      <Loading when={resource.loading && resource.data === undefined} />
      <Section id="status" title="Status">
        <Table
          columns={['Provider', 'State', 'Mode', 'Circuit', 'Currencies', 'Last success', 'Last failure']}
        >
          {providers.map((p) => (
            <tr key={p.provider}>
              <th scope="row">{p.provider}</th>
              <td>{yesNo(p.enabled)}</td>
              <td>{p.mode ?? '—'}</td>
              <td>
                <span className={`status status-circuit-${p.circuit ?? 'unknown'}`}>{p.circuit ?? '—'}</span>
              </td>
              <td>{p.currencies?.length ? p.currencies.join(', ') : '—'}</td>
              <td>{dateTime(p.last_success_at)}</td>
              <td>{dateTime(p.last_failure_at)}</td>
            </tr>
          ))}
        </Table>
        <Empty when={!resource.loading && providers.length === 0}>No providers configured.</Empty>
      </Section>
      {editable ? null : (
        <p className="muted">Only admin and finance operators can change fees and limits.</p>
      )}
      {resource.data === undefined
        ? null
        : ruleLists.map(({ id, title, help }) => (
            <Section key={id} id={id} title={title}>
              <RulesEditor
                title={title}
                path={`/v1/operator/${id}`}
                rules={rules[id]}
                editable={editable}
                help={help}
                onSaved={resource.reload}
              />
            </Section>
          ))}
    </Page>
  );
}
