import { type FormEvent, useState } from 'react';
import { api } from '../../api.ts';
import { Empty, ErrorAlert, Loading, Notice } from '../../components/Alert.tsx';
import { Field } from '../../components/Field.tsx';
import { useAction, usePagedList } from '../../components/hooks.ts';
import { Page, Section } from '../../components/Page.tsx';
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
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const action = useAction();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body = email.trim() === '' ? { name: name.trim() } : { name: name.trim(), email: email.trim() };
    if (
      await action.run(() => api.post<Merchant>('/v1/merchants', body), `Merchant ${name.trim()} created.`)
    ) {
      setName('');
      setEmail('');
      onCreated();
    }
  };
  return (
    <form className="filters" onSubmit={submit}>
      <Field label="Name" value={name} onChange={setName} required maxLength={200} />
      <Field label="Contact email" type="email" value={email} onChange={setEmail} maxLength={254} />
      <div className="filter-actions">
        <button type="submit" disabled={action.busy}>
          Create merchant
        </button>
      </div>
      <div className="full">
        <ErrorAlert error={action.error} />
        <Notice message={action.done} />
      </div>
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
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Merchants</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">ID</th>
              <th scope="col">Email</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
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
          </tbody>
        </table>
      </div>
      <Loading when={list.loading} />
      <Empty when={!list.loading && !list.error && list.items.length === 0}>No merchants yet.</Empty>
      {list.hasMore ? (
        <button type="button" onClick={list.loadMore} disabled={list.loading}>
          Load more
        </button>
      ) : null}
    </Page>
  );
}
