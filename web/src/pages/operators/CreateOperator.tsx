import { type FormEvent, useState } from 'react';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../components/Alert.tsx';
import { Field, SelectField } from '../../components/Field.tsx';
import { useAction } from '../../components/hooks.ts';
import { roles } from '../../roles.ts';

interface Created {
  id?: string;
  email?: string;
  role?: string;
  /** The one-time password: in this answer only. */
  password?: string;
}

/** Creates an operator; the one-time password is in this answer only, so it is shown once here. */
export function CreateOperator({ onCreated }: { onCreated: () => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('viewer');
  const [created, setCreated] = useState<Created | null>(null);
  const action = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    const ok = await action.run(async () => {
      setCreated(await api.post<Created>('/v1/operator/operators', { email: email.trim(), role }));
    });
    if (ok) {
      setEmail('');
      onCreated();
    }
  };
  const password = created?.password;

  return (
    <>
      <form className="filters" onSubmit={submit}>
        <Field label="Email" type="email" value={email} onChange={setEmail} required maxLength={254} />
        <SelectField label="Role" value={role} onChange={setRole} options={roles} />
        <div className="filter-actions">
          <button type="submit" disabled={action.busy}>
            Create operator
          </button>
        </div>
      </form>
      <ErrorAlert error={action.error} />
      {created ? (
        <div className="alert alert-ok" role="status">
          <p>
            Operator {created.email} created. Give them this one-time password; it is not shown again. They
            set up two-factor authentication at their first sign-in.
          </p>
          {password ? (
            <p>
              <code className="secret" data-testid="one-time-password">
                {password}
              </code>
            </p>
          ) : null}
        </div>
      ) : null}
    </>
  );
}
