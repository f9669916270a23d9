import type { FormEvent } from 'react';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../components/Alert.tsx';
import { Field } from '../../components/Field.tsx';
import { SubmitActions } from '../../components/Forms.tsx';
import { useAction, useForm, usePagedList } from '../../components/hooks.ts';
import { Page, Section } from '../../components/Page.tsx';
import { ListFooter, Table } from '../../components/Table.tsx';
import { dateTime, text } from '../../format.ts';
import { can } from '../../roles.ts';
import { Link } from '../../router.tsx';
import { useRole } from '../../session.tsx';

export interface Merchant {
  id: string;
  name?: string;
  email?: string | null;
  created_at?: string;
}

function CreateMerchant({ onCreated }: { onCreated: () => void }) {
  const form = useForm({ name: '', email: '' });
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const name = form.values.name.trim();
    const email = form.values.email.trim();
    const body = email === '' ? { name } : { name, email };
    if (await action.run(() => api.post<Merchant>('/v1/merchants', body), `Merchant ${name} created.`)) {
      form.reset();
      onCreated();
    }
  };
  return (
    <form className="filters" onSubmit={submit}>
      <Field label="Name" value={form.values.name} onChange={form.set('name')} required maxLength={200} />
      <Field
        label="Contact email"
        type="email"
        value={form.values.email}
        onChange={form.set('email')}
        maxLength={254}
      />
      <SubmitActions label="Create merchant" action={action} />
    </form>
  );
}

export function Merchants() {
  const role = useRole();
  const list = usePagedList<Merchant>('/v1/operator/merchants');
  return (
    <Page title="Merchants">
      {can(role, 'merchants_write') ? (
        <Section id="create" title="New merchant">
          <CreateMerchant onCreated={list.reload} />
        </Section>
      ) : null}
      <ErrorAlert error={list.error} />
      <Table caption="Merchants" columns={['Name', 'ID', 'Email', 'Created']}>
        {list.items.map((m) => (
          <tr key={m.id}>
            <th scope="row">
              <Link to={`/merchants/${encodeURIComponent(m.id)}`}>{m.name ?? m.id}</Link>
            </th>
            <td className="mono">{m.id}</td>
            <td>{text(m.email)}</td>
            <td>{dateTime(m.created_at)}</td>
          </tr>
        ))}
      </Table>
      <ListFooter list={list} empty="No merchants yet." />
    </Page>
  );
}
