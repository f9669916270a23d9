import { type FormEvent, useState } from 'react';
import { api } from '../../api.ts';
import { Empty, ErrorAlert } from '../../components/Alert.tsx';
import { SelectField } from '../../components/Field.tsx';
import { useAction } from '../../components/hooks.ts';
import { Table } from '../../components/Table.tsx';
import { dateTime } from '../../format.ts';

export interface ApiKey {
  id: string;
  mode?: string;
  last4?: string;
  created_at?: string;
  last_used_at?: string | null;
  revoked_at?: string | null;
  secret?: string;
}

interface Props {
  merchantId: string;
  keys: ApiKey[];
  editable: boolean;
  onChanged: () => void;
}

/** A merchant's API keys: create (the secret is shown once, here) and revoke (admin). */
export function ApiKeys({ merchantId, keys, editable, onChanged }: Props) {
  const [mode, setMode] = useState('test');
  const [created, setCreated] = useState<ApiKey | null>(null);
  const action = useAction();
  const base = `/v1/merchants/${encodeURIComponent(merchantId)}/api_keys`;

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    await action.run(async () => {
      setCreated(await api.post<ApiKey>(base, { mode }));
      onChanged();
    });
  };
  const revoke = (key: ApiKey) =>
    action.run(async () => {
      await api.delete(`${base}/${encodeURIComponent(key.id)}`);
      onChanged();
    });

  return (
    <>
      {editable ? (
        <form className="inline-form" onSubmit={create}>
          <SelectField label="Key mode" value={mode} onChange={setMode} options={['test', 'live']} />
          <button type="submit" disabled={action.busy}>
            Create API key
          </button>
        </form>
      ) : null}
      <ErrorAlert error={action.error} />
      {created?.secret ? (
        <div className="alert alert-ok" role="status">
          <p>New {created.mode} key. Copy the secret now: it is not shown again.</p>
          <p>
            <code className="secret" data-testid="api-key-secret">
              {created.secret}
            </code>
          </p>
        </div>
      ) : null}
      <Table columns={['Key', 'Mode', 'Created', 'Last used', 'Revoked', editable && 'Action']}>
        {keys.map((k) => (
          <tr key={k.id}>
            <th scope="row" className="mono">
              {k.id} (…{k.last4 ?? '????'})
            </th>
            <td>{k.mode ?? '—'}</td>
            <td>{dateTime(k.created_at)}</td>
            <td>{dateTime(k.last_used_at)}</td>
            <td>{dateTime(k.revoked_at)}</td>
            {editable ? (
              <td>
                {k.revoked_at ? null : (
                  <button
                    type="button"
                    className="button-danger"
                    disabled={action.busy}
                    onClick={() => void revoke(k)}
                    aria-label={`Revoke key ending ${k.last4 ?? k.id}`}
                  >
                    Revoke
                  </button>
                )}
              </td>
            ) : null}
          </tr>
        ))}
      </Table>
      <Empty when={keys.length === 0}>No API keys.</Empty>
    </>
  );
}
