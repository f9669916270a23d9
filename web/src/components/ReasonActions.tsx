import { useState } from 'react';
import { api } from '../api.ts';
import { ErrorAlert } from './Alert.tsx';
import { Field } from './Field.tsx';
import { useAction } from './hooks.ts';

export interface ReasonAction {
  label: string;
  /** Past tense for the success note, e.g. "approved". */
  done: string;
  danger?: boolean;
  /** This action needs a reason even where the others do not (e.g. Reject). */
  requiresReason?: boolean;
  run: (reason: string | undefined) => Promise<unknown>;
}

/** Approve and Reject, posting `{ reason }` to `{path}/approve` and `{path}/reject`. */
export function approveReject(path: string, { rejectNeedsReason = true } = {}): ReasonAction[] {
  return [
    { label: 'Approve', done: 'approved', run: (reason) => api.post(`${path}/approve`, { reason }) },
    {
      label: 'Reject',
      done: 'rejected',
      danger: true,
      requiresReason: rejectNeedsReason,
      run: (reason) => api.post(`${path}/reject`, { reason }),
    },
  ];
}

interface Props {
  actions: ReasonAction[];
  /** The server wants a reason for every action. */
  reasonRequired?: boolean;
  onDone: (done: string) => void;
}

/** A "Reason" field and the decisions it goes with (Approve / Reject …), for one row of a queue. */
export function ReasonActions({ actions, reasonRequired = false, onDone }: Props) {
  const [reason, setReason] = useState('');
  const [missing, setMissing] = useState<string | null>(null);
  const action = useAction();

  const decide = async (choice: ReasonAction) => {
    const trimmed = reason.trim();
    if ((reasonRequired || choice.requiresReason) && trimmed === '') {
      setMissing(`Give a reason to ${choice.label.toLowerCase()}.`);
      return;
    }
    setMissing(null);
    if (await action.run(() => choice.run(trimmed === '' ? undefined : trimmed))) {
      setReason('');
      onDone(choice.done);
    }
  };

  return (
    <div className="reason-actions">
      <Field label="Reason" value={reason} onChange={setReason} maxLength={500} required={reasonRequired} />
      <div className="row">
        {actions.map((a) => (
          <button
            key={a.label}
            type="button"
            className={a.danger ? 'button-danger' : undefined}
            disabled={action.busy}
            onClick={() => void decide(a)}
          >
            {a.label}
          </button>
        ))}
      </div>
      <ErrorAlert error={missing ? new Error(missing) : action.error} />
    </div>
  );
}
