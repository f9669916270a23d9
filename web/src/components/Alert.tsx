import type { ReactNode } from 'react';
import { messageOf } from '../api.ts';
import type { Resource } from './hooks.ts';

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

/** A resource's error, "Loading…" until its first answer, then `children` with the data. */
export function Loaded<T>({
  resource,
  children,
}: {
  resource: Resource<T>;
  children: (data: T) => ReactNode;
}) {
  return (
    <>
      <ErrorAlert error={resource.error} />
      <Loading when={resource.loading && !resource.data} />
      {resource.data ? children(resource.data) : null}
    </>
  );
}
