import { type FormEvent, useState } from 'react';
import { api } from '../../api.ts';
import { ErrorAlert, Notice } from '../../components/Alert.tsx';
import { Field } from '../../components/Field.tsx';
import { useAction } from '../../components/hooks.ts';

/** Freeze or unfreeze a user, with the reason the audit log keeps (admin and support). */
export function FreezeControl({
  userId,
  frozen,
  onDone,
}: {
  userId: string;
  frozen: boolean;
  onDone: () => void;
}) {
  const [reason, setReason] = useState('');
  const action = useAction();
  const verb = frozen ? 'Unfreeze' : 'Freeze';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const path = `/v1/operator/users/${encodeURIComponent(userId)}/${frozen ? 'unfreeze' : 'freeze'}`;
    if (await action.run(() => api.post(path, { reason: reason.trim() }), frozen ? 'Unfrozen.' : 'Frozen.')) {
      setReason('');
      onDone();
    }
  };

  return (
    <form className="inline-form" onSubmit={submit}>
      <Field label="Reason" value={reason} onChange={setReason} required maxLength={500} />
      <button type="submit" className={frozen ? undefined : 'button-danger'} disabled={action.busy}>
        {verb}
      </button>
      <ErrorAlert error={action.error} />
      <Notice message={action.done} />
    </form>
  );
}
