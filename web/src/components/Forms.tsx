import { type FormEvent, type ReactNode, useState } from 'react';
import type { Query } from '../api.ts';
import { ErrorAlert, Notice } from './Alert.tsx';
import { type Action, useForm } from './hooks.ts';

/** A filter form's fields, and the query they made when last applied (none after "Clear filters"). */
export function useFilters<F extends Record<string, string>>(empty: F, toQuery: (form: F) => Query) {
  const form = useForm(empty);
  const [applied, setApplied] = useState<Query>({});
  return {
    ...form,
    applied,
    apply: (event: FormEvent) => {
      event.preventDefault();
      setApplied(toQuery(form.values));
    },
    clear: () => {
      form.reset();
      setApplied({});
    },
  };
}

/** The filter card: the fields, "Apply filters" and "Clear filters", then an optional note. */
export function FilterForm({
  filters,
  note,
  children,
}: {
  filters: { apply: (event: FormEvent) => void; clear: () => void };
  note?: ReactNode;
  children: ReactNode;
}) {
  return (
    <form className="card filters" onSubmit={filters.apply}>
      {children}
      <div className="filter-actions">
        <button type="submit">Apply filters</button>
        <button type="button" className="button-quiet" onClick={filters.clear}>
          Clear filters
        </button>
      </div>
      {note}
    </form>
  );
}

/** A form's submit button (off while its action runs), then the action's error or success note. */
export function SubmitActions({ label, action }: { label: string; action: Action }) {
  return (
    <>
      <div className="filter-actions">
        <button type="submit" disabled={action.busy}>
          {label}
        </button>
      </div>
      <div className="full">
        <ErrorAlert error={action.error} />
        <Notice message={action.done} />
      </div>
    </>
  );
}
