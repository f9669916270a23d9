import { type FormEvent, useState } from 'react';
import { request } from '../../api.ts';
import { ErrorAlert } from '../../components/Alert.tsx';
import { Field } from '../../components/Field.tsx';
import { useAction } from '../../components/hooks.ts';
import { Page } from '../../components/Page.tsx';
import type { Session, SignInStep } from '../../types.ts';
import { CodeStep } from './CodeStep.tsx';

/** Email and password, then the TOTP code (or, the first time, enrolment of an authenticator app). */
export function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [step, setStep] = useState<SignInStep | null>(null);
  /** Why the code step sent the operator back here (the challenge expired…), until the next try. */
  const [restartError, setRestartError] = useState<unknown>(null);
  const action = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setRestartError(null);
    await action.run(async () => {
      const next = await request<SignInStep>('POST', '/v1/console/sign-in', {
        body: { email: email.trim(), password },
        session: false,
      });
      setPassword('');
      setStep(next);
    });
  };

  if (step) {
    return (
      <Page title="Sign in">
        <CodeStep
          step={step}
          onSignedIn={onSignedIn}
          onRestart={(e) => {
            setStep(null);
            setRestartError(e);
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
        <ErrorAlert error={action.error ?? restartError} />
        <div>
          <button type="submit" disabled={action.busy}>
            Sign in
          </button>
        </div>
      </form>
    </Page>
  );
}
