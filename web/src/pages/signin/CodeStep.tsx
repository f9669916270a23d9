import { type FormEvent, useState } from 'react';
import { ApiError, request } from '../../api.ts';
import { ErrorAlert } from '../../components/Alert.tsx';
import { Field } from '../../components/Field.tsx';
import { useAction } from '../../components/hooks.ts';
import type { Session, SignInStep } from '../../types.ts';

interface Props {
  step: SignInStep;
  onSignedIn: (session: Session) => void;
  /** The challenge is gone (expired, used, throttled): back to email and password with this error. */
  onRestart: (error: unknown) => void;
}

const restartCodes = new Set(['sign_in_expired', 'sign_in_throttled']);

export function CodeStep({ step, onSignedIn, onRestart }: Props) {
  const [code, setCode] = useState('');
  const action = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await action.run(async () => {
      try {
        const session = await request<Session>('POST', '/v1/console/sign-in/totp', {
          body: { challenge: step.challenge, code: code.replace(/\s+/g, '') },
          session: false,
        });
        onSignedIn(session);
      } catch (e) {
        setCode('');
        if (e instanceof ApiError && restartCodes.has(e.code)) onRestart(e);
        else throw e;
      }
    });
  };

  return (
    <form className="card narrow stack" onSubmit={submit}>
      {step.step === 'enroll' ? (
        <div className="stack">
          <h2>Set up two-factor authentication</h2>
          <p>
            Scan this QR code with an authenticator app, or type the secret key into it, then enter the
            6-digit code the app shows.
          </p>
          {step.qr_svg ? (
            <div
              className="qr"
              role="img"
              aria-label="QR code for your authenticator app"
              // The server's QR code SVG, the only HTML the console ever inserts as is.
              dangerouslySetInnerHTML={{ __html: step.qr_svg }}
            />
          ) : null}
          <p>
            Secret key: <code className="secret">{step.secret}</code>
          </p>
        </div>
      ) : (
        <p>Enter the 6-digit code from your authenticator app.</p>
      )}
      <Field
        label="Authentication code"
        value={code}
        onChange={setCode}
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="[0-9 ]{6,7}"
        maxLength={7}
        required
        autoFocus
      />
      <ErrorAlert error={action.error} />
      <div className="row">
        <button type="submit" disabled={action.busy}>
          Verify and sign in
        </button>
        <button type="button" className="button-quiet" onClick={() => onRestart(null)}>
          Start over
        </button>
      </div>
    </form>
  );
}
