import { type FormEvent, useState } from 'react';
import { request } from '../../api.ts';
import { ErrorAlert } from '../../components/Alert.tsx';
import { Field } from '../../components/Field.tsx';
import { Page } from '../../components/Page.tsx';
import type { Session, SignInStep } from '../../types.ts';
import { CodeStep } from './CodeStep.tsx';

/** Email and password, then the TOTP code (or, the first time, enrolment of an authenticator app). */
export function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [step, setStep] = useState<SignInStep | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const next = await request<SignInStep>('POST', '/v1/console/sign-in', {
        body: { email: email.trim(), password },
        session: false,
      });
      setPassword('');
      setStep(next);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (step) {
    return (
      <Page title="Sign in">
        <CodeStep
          step={step}
          onSignedIn={onSignedIn}
          onRestart={(e) => {
            setStep(null);
            setError(e);
          }}
        />
      </Page>
    );
  }

  return (
    <Page title="Sign in">
      <form className="card narrow stack" onSubmit={submit}>
        <Field
          label="Email"
          type="email"
          value={email}
          onChange={setEmail}
          autoComplete="username"
          required
          autoFocus
        />
        <Field
          label="Password"
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="current-password"
          required
        />
        <ErrorAlert error={error} />
        <div>
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </div>
      </form>
    </Page>
  );
}
