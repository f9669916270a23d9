import { type FormEvent, useState } from 'react';
import { ErrorAlert } from '../../components/Alert.tsx';
import { Field } from '../../components/Field.tsx';
import { isStatus, usePagedList } from '../../components/hooks.ts';
import { Page } from '../../components/Page.tsx';
import { ListFooter, Table } from '../../components/Table.tsx';
import { text } from '../../format.ts';
import { Link } from '../../router.tsx';
import type { UserSummary } from '../../types.ts';
import { isFrozen, kycLevelOf, telegramOf } from './userFields.ts';

export function Users() {
  const [input, setInput] = useState('');
  const [q, setQ] = useState('');
  const list = usePagedList<UserSummary>('/v1/operator/users', { q });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setQ(input.trim());
  };
  // Before any search, a server that insists on `q` answers 400: that is not worth an alert.
  const error = q === '' && isStatus(list.error, 400) ? null : list.error;

  return (
    <Page title="Users">
      <form className="card filters" onSubmit={submit}>
        <Field
          label="Search"
          type="search"
          value={input}
          onChange={setInput}
          hint="Name, email, phone or Telegram username"
        />
        <div className="filter-actions">
          <button type="submit">Search</button>
        </div>
      </form>
      <ErrorAlert error={error} />
      <Table caption="Users" columns={['ID', 'Name', 'Email', 'Phone', 'Telegram', 'KYC level', 'Frozen']}>
        {list.items.map((u) => {
          const telegram = telegramOf(u);
          return (
            <tr key={u.id}>
              <th scope="row">
                <Link to={`/users/${encodeURIComponent(u.id)}`}>{u.id}</Link>
              </th>
              <td>{text(u.display_name)}</td>
              <td>{text(u.email)}</td>
              <td>{text(u.phone)}</td>
              <td>{telegram ? `@${telegram}` : '—'}</td>
              <td>{kycLevelOf(u)}</td>
              <td>{isFrozen(u) ? <span className="badge badge-danger">Frozen</span> : 'No'}</td>
            </tr>
          );
        })}
      </Table>
      <ListFooter list={list} empty="No users found." error={error} />
    </Page>
  );
}
