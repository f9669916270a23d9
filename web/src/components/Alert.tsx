import { messageOf } from '../api.ts';

/** The server's error message (the envelope's `message`), announced to screen readers. */
export function ErrorAlert({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  return (
    <p role="alert" className="alert alert-error">
      {messageOf(error)}
    </p>
  );
}

export function Notice({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p role="status" className="alert alert-ok">
      {message}
    </p>
  );
}

export function Loading({ when }: { when: boolean }) {
  return when ? (
    <p className="muted" aria-live="polite">
      Loading…
    </p>
  ) : null;
}

export function Empty({ when, children }: { when: boolean; children: string }) {
  return when ? <p className="muted">{children}</p> : null;
}
