import { type Query, queryString } from '../../api.ts';
import { Field, SelectField } from '../../components/Field.tsx';
import { FilterForm, useFilters } from '../../components/Forms.tsx';
import { Page } from '../../components/Page.tsx';
import { dateParam } from '../../format.ts';
import { can } from '../../roles.ts';
import { useRole } from '../../session.tsx';
import { TransactionList } from './TransactionList.tsx';

const empty = {
  currency: '',
  type: '',
  status: '',
  provider: '',
  created_from: '',
  created_to: '',
  amount_min: '',
  amount_max: '',
};

const types = ['', 'deposit', 'collection', 'withdrawal', 'transfer'];
const statuses = [
  '',
  'pending',
  'succeeded',
  'failed',
  'canceled',
  'requires_approval',
  'needs_review',
  'rejected',
  'expired',
  'refunded',
];
const exports = [
  ['csv', 'CSV'],
  ['xlsx', 'Excel'],
  ['pdf', 'PDF'],
] as const;
const anyOption = (v: string) => ({ value: v, label: v === '' ? 'Any' : v });

function toQuery(f: typeof empty): Query {
  return {
    currency: f.currency.trim().toUpperCase(),
    type: f.type,
    status: f.status,
    provider: f.provider.trim(),
    created_from: dateParam(f.created_from),
    created_to: dateParam(f.created_to),
    amount_min: f.amount_min.trim(),
    amount_max: f.amount_max.trim(),
  };
}

export function Transactions() {
  const role = useRole();
  const filters = useFilters(empty, toQuery);
  const { values: form, set, applied } = filters;
  const exportHref = (format: string) =>
    `/v1/operator/transactions/export${queryString({ format, ...applied })}`;
  const needsCurrency = (form.amount_min !== '' || form.amount_max !== '') && form.currency.trim() === '';

  return (
    <Page title="Transactions">
      <FilterForm
        filters={filters}
        note={needsCurrency ? <p className="muted full">Amount filters need a currency.</p> : null}
      >
        <Field label="Currency" value={form.currency} onChange={set('currency')} maxLength={5} />
        <SelectField label="Type" value={form.type} onChange={set('type')} options={types.map(anyOption)} />
        <SelectField
          label="Status"
          value={form.status}
          onChange={set('status')}
          options={statuses.map(anyOption)}
        />
        <Field label="Provider" value={form.provider} onChange={set('provider')} maxLength={32} />
        <Field label="Created from" type="date" value={form.created_from} onChange={set('created_from')} />
        <Field label="Created to" type="date" value={form.created_to} onChange={set('created_to')} />
        <Field
          label="Minimum amount"
          inputMode="decimal"
          pattern="[0-9]+(\.[0-9]+)?"
          value={form.amount_min}
          onChange={set('amount_min')}
        />
        <Field
          label="Maximum amount"
          inputMode="decimal"
          pattern="[0-9]+(\.[0-9]+)?"
          value={form.amount_max}
          onChange={set('amount_max')}
        />
      </FilterForm>
      {can(role, 'export') ? (
        <div className="row exports">
          {exports.map(([format, name]) => (
            <a key={format} className="button-link" href={exportHref(format)} download>
              Export {name}
            </a>
          ))}
        </div>
      ) : null}
      <TransactionList query={applied} />
    </Page>
  );
}
