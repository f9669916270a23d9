import type { FormEvent } from 'react';
import { api } from '../../api.ts';
import { Field, SelectField } from '../../components/Field.tsx';
import { SubmitActions } from '../../components/Forms.tsx';
import { useAction, useForm } from '../../components/hooks.ts';
import type { Adjustment } from '../../types.ts';

const empty = { user_id: '', currency: '', direction: 'credit', amount: '', reason: '' };

/** Requests a balance adjustment; another operator approves it (maker-checker). */
export function AdjustmentForm({ onRequested }: { onRequested: () => void }) {
  const { values: form, set, reset } = useForm(empty);
  const action = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body = {
      user_id: form.user_id.trim(),
      currency: form.currency.trim().toUpperCase(),
      direction: form.direction,
      amount: form.amount.trim(),
      reason: form.reason.trim(),
    };
    const ok = await action.run(
      () => api.post<Adjustment>('/v1/operator/adjustments', body),
      'Adjustment requested: it waits for another operator’s approval.',
    );
    if (ok) {
      reset();
      onRequested();
    }
  };

  return (
    <form
      className="filters"
      onSubmit={submit}
      aria-labelledby="adjustment-form-title"
      aria-describedby="adjustment-help"
    >
      <p id="adjustment-help" className="muted full">
        Another finance operator or admin must approve the adjustment before it moves money.
      </p>
      <Field label="User ID" value={form.user_id} onChange={set('user_id')} required placeholder="usr_…" />
      <Field label="Currency" value={form.currency} onChange={set('currency')} required maxLength={5} />
      <SelectField
        label="Direction"
        value={form.direction}
        onChange={set('direction')}
        options={[
          { value: 'credit', label: 'Credit (add to the wallet)' },
          { value: 'debit', label: 'Debit (take from the wallet)' },
        ]}
      />
      <Field
        label="Amount"
        value={form.amount}
        onChange={set('amount')}
        required
        inputMode="decimal"
        pattern="[0-9]+(\.[0-9]+)?"
      />
      <Field
        label="Reason"
        value={form.reason}
        onChange={set('reason')}
        required
        minLength={3}
        maxLength={500}
      />
      <SubmitActions label="Request adjustment" action={action} />
    </form>
  );
}
