import { Empty, ErrorAlert, Loading } from '../../components/Alert.tsx';
import { useResource } from '../../components/hooks.ts';
import { Page, Section } from '../../components/Page.tsx';
import { dateTime } from '../../format.ts';
import { can } from '../../roles.ts';
import { useRole } from '../../session.tsx';
import { readProviders } from './providerData.ts';
import { RulesEditor } from './RulesEditor.tsx';

function yesNo(value: boolean | undefined): string {
  if (value === undefined) return '—';
  return value ? 'Enabled' : 'Disabled';
}

export function Providers() {
  const role = useRole();
  const editable = can(role, 'edit_fees');
  const resource = useResource<unknown>('/v1/operator/providers');
  const { providers, fees, limits } = readProviders(resource.data);

  return (
    <Page title="Providers">
      <ErrorAlert error={resource.error} />
      <Loading when={resource.loading && resource.data === undefined} />
      <Section id="status" title="Status">
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Provider</th>
                <th scope="col">State</th>
                <th scope="col">Mode</th>
                <th scope="col">Circuit</th>
                <th scope="col">Currencies</th>
                <th scope="col">Last success</th>
                <th scope="col">Last failure</th>
              </tr>
            </thead>
            <tbody>
              {providers.map((p) => (
                <tr key={p.provider}>
                  <th scope="row">{p.provider}</th>
                  <td>{yesNo(p.enabled)}</td>
                  <td>{p.mode ?? '—'}</td>
                  <td>
                    <span className={`status status-circuit-${p.circuit ?? 'unknown'}`}>
                      {p.circuit ?? '—'}
                    </span>
                  </td>
                  <td>{p.currencies?.length ? p.currencies.join(', ') : '—'}</td>
                  <td>{dateTime(p.last_success_at)}</td>
                  <td>{dateTime(p.last_failure_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <Empty when={!resource.loading && providers.length === 0}>No providers configured.</Empty>
      </Section>
      {editable ? null : (
        <p className="muted">Only admin and finance operators can change fees and limits.</p>
      )}
      {resource.data !== undefined ? (
        <>
          <Section id="fees" title="Fee rules">
            <RulesEditor
              label="Fee rules (JSON)"
              saveLabel="Save fee rules"
              path="/v1/operator/fees"
              rules={fees}
              editable={editable}
              help='Each rule: {"provider": "mpesa" or "*", "currency": "KES" or "*", "direction": "deposit" or "withdrawal", "percent": "1.5", "fixed"?, "min"?, "max"?} (amounts in major units). The most specific rule wins.'
              onSaved={resource.reload}
            />
          </Section>
          <Section id="limits" title="Limits">
            <RulesEditor
              label="Limits (JSON)"
              saveLabel="Save limits"
              path="/v1/operator/limits"
              rules={limits}
              editable={editable}
              help='Each rule: {"currency": "KES", "direction": "deposit" or "withdrawal", "per_transaction_min"?, "per_transaction_max"?, "per_day_max"?} (major units; a day is the last 24 hours).'
              onSaved={resource.reload}
            />
          </Section>
        </>
      ) : null}
    </Page>
  );
}
