import { Field } from '../../components/Field.tsx';
import { FilterForm, useFilters } from '../../components/Forms.tsx';
import { Page } from '../../components/Page.tsx';
import { dateParam } from '../../format.ts';
import { AuditTable } from './AuditTable.tsx';

const empty = { principal: '', action: '', object: '', created_from: '', created_to: '' };

const toQuery = (f: typeof empty) => ({
  principal: f.principal.trim(),
  action: f.action.trim(),
  object: f.object.trim(),
  created_from: dateParam(f.created_from),
  created_to: dateParam(f.created_to),
});

export function AuditLog() {
  const filters = useFilters(empty, toQuery);
  const { values: form, set } = filters;

  return (
    <Page title="Audit log">
      <FilterForm filters={filters}>
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
      </FilterForm>
      <AuditTable path="/v1/operator/audit" query={filters.applied} />
    </Page>
  );
}
