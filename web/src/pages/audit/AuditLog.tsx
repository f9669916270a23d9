import { type FormEvent, useState } from 'react';
import type { Query } from '../../api.ts';
import { Field } from '../../components/Field.tsx';
import { Page } from '../../components/Page.tsx';
import { dateParam } from '../../format.ts';
import { AuditTable } from './AuditTable.tsx';

const empty = { principal: '', action: '', object: '', created_from: '', created_to: '' };
type Filters = typeof empty;

export function AuditLog() {
  const [form, setForm] = useState<Filters>(empty);
  const [applied, setApplied] = useState<Query>({});
  const set = (key: keyof Filters) => (value: string) => setForm((f) => ({ ...f, [key]: value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setApplied({
      principal: form.principal.trim(),
      action: form.action.trim(),
      object: form.object.trim(),
      created_from: dateParam(form.created_from),
      created_to: dateParam(form.created_to),
    });
  };

  return (
    <Page title="Audit log">
      <form className="card filters" onSubmit={submit}>
        <Field
          label="Principal"
          value={form.principal}
          onChange={set('principal')}
          placeholder="user:usr_…"
          hint="Exact: user:<id>, merchant:<id>:<mode>, ip:<address>"
        />
        <Field
          label="Action"
          value={form.action}
          onChange={set('action')}
          placeholder="POST /v1/operator/users/:id/freeze"
          hint="Exact: method and route"
        />
        <Field label="Object" value={form.object} onChange={set('object')} hint="Exact id, e.g. usr_…" />
        <Field label="Created from" type="date" value={form.created_from} onChange={set('created_from')} />
        <Field label="Created to" type="date" value={form.created_to} onChange={set('created_to')} />
        <div className="filter-actions">
          <button type="submit">Apply filters</button>
          <button
            type="button"
            className="button-quiet"
            onClick={() => {
              setForm(empty);
              setApplied({});
            }}
          >
            Clear filters
          </button>
        </div>
      </form>
      <AuditTable path="/v1/operator/audit" query={applied} />
    </Page>
  );
}
