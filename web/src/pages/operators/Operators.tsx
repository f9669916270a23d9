import { useState } from 'react';
import { api } from '../../api.ts';
import { ErrorAlert, Notice } from '../../components/Alert.tsx';
import { SelectField } from '../../components/Field.tsx';
import { useAction, usePagedList } from '../../components/hooks.ts';
import { Page, Section } from '../../components/Page.tsx';
import { ListFooter, Table } from '../../components/Table.tsx';
import { dateTime } from '../../format.ts';
import { roles } from '../../roles.ts';
import { useSession } from '../../session.tsx';
import { CreateOperator } from './CreateOperator.tsx';

interface OperatorRow {
  id: string;
  email?: string | null;
  role?: string;
  totp_enrolled?: boolean;
  created_at?: string;
  last_sign_in_at?: string | null;
}

function RoleControl({
  operator,
  onChanged,
}: {
  operator: OperatorRow;
  onChanged: (message: string) => void;
}) {
  const [role, setRole] = useState(operator.role ?? 'viewer');
  const action = useAction();
  const save = async () => {
    const path = `/v1/operator/operators/${encodeURIComponent(operator.id)}/role`;
    if (await action.run(() => api.post(path, { role })))
      onChanged(`${operator.email ?? operator.id} is now ${role}.`);
  };
  const resetTotp = async () => {
    const path = `/v1/operator/operators/${encodeURIComponent(operator.id)}/reset-totp`;
    const who = operator.email ?? operator.id;
    if (await action.run(() => api.post(path, {})))
      onChanged(`${who} sets up two-factor again at the next sign-in.`);
  };
  return (
    <div className="inline-form">
      <SelectField label="Role" value={role} onChange={setRole} options={roles} />
      <button type="button" onClick={() => void save()} disabled={action.busy || role === operator.role}>
        Change role
      </button>
      {operator.totp_enrolled ? (
        <button
          type="button"
          className="button-quiet"
          onClick={() => void resetTotp()}
          disabled={action.busy}
        >
          Reset two-factor
        </button>
      ) : null}
      <ErrorAlert error={action.error} />
    </div>
  );
}

/** Operators (admin only): list, create, change role. */
export function Operators() {
  const me = useSession().session.operator;
  const list = usePagedList<OperatorRow>('/v1/operator/operators');
  const [notice, setNotice] = useState<string | null>(null);

  return (
    <Page title="Operators">
      <Section id="create" title="New operator">
        <CreateOperator onCreated={list.reload} />
      </Section>
      <Section id="list" title="All operators">
        <ErrorAlert error={list.error} />
        <Notice message={notice} />
        <Table columns={['Email', 'Role', 'Two-factor', 'Created', 'Manage']}>
          {list.items.map((o) => (
            <tr key={`${o.id}-${o.role}`}>
              <th scope="row">
                {o.email ?? o.id}
                {o.id === me.id ? ' (you)' : ''}
              </th>
              <td>{o.role ?? '—'}</td>
              <td>{o.totp_enrolled === undefined ? '—' : o.totp_enrolled ? 'Set up' : 'Not yet'}</td>
              <td>{dateTime(o.created_at)}</td>
              <td>
                <RoleControl
                  operator={o}
                  onChanged={(message) => {
                    setNotice(message);
                    list.reload();
                  }}
                />
              </td>
            </tr>
          ))}
        </Table>
        <ListFooter list={list} empty="No operators." />
      </Section>
    </Page>
  );
}
