import { type ReactNode, useState } from 'react';
import { messageOf } from '../api.ts';
import { type Capability, can } from '../roles.ts';
import { Link, usePath } from '../router.tsx';
import type { SessionState } from '../session.tsx';
import { ThemeToggle } from './ThemeToggle.tsx';

interface NavItem {
  to: string;
  label: string;
  needs?: Capability;
}

const items: NavItem[] = [
  { to: '/', label: 'Dashboard' },
  { to: '/users', label: 'Users' },
  { to: '/transactions', label: 'Transactions' },
  { to: '/approvals', label: 'Approvals', needs: 'approve' },
  { to: '/kyc', label: 'KYC', needs: 'kyc' },
  { to: '/providers', label: 'Providers' },
  { to: '/merchants', label: 'Merchants' },
  { to: '/audit', label: 'Audit log' },
  { to: '/operators', label: 'Operators', needs: 'operators' },
];

function isCurrent(to: string, path: string): boolean {
  return to === '/' ? path === '/' : path === to || path.startsWith(`${to}/`);
}

function Header({ state }: { state: SessionState | null }) {
  const [error, setError] = useState<string | null>(null);
  const signOut = (everywhere: boolean) => {
    setError(null);
    state?.signOut(everywhere).catch((e: unknown) => setError(messageOf(e)));
  };
  return (
    <header className="app-header">
      <a className="brand" href="/console/">
        ChatPay console
      </a>
      <div className="header-tools">
        {state ? (
          <p className="operator">
            <span className="operator-email">{state.session.operator.email}</span>{' '}
            <span className="badge">{state.session.operator.role}</span>
          </p>
        ) : null}
        <ThemeToggle />
        {state ? (
          <>
            <button type="button" className="button-quiet" onClick={() => signOut(false)}>
              Sign out
            </button>
            <button type="button" className="button-quiet" onClick={() => signOut(true)}>
              Sign out everywhere
            </button>
          </>
        ) : null}
      </div>
      {error ? (
        <p role="alert" className="alert alert-error">
          {error}
        </p>
      ) : null}
    </header>
  );
}

/** Header, main navigation (only what the role may use) and the page in `<main>`. */
export function Layout({ state, children }: { state: SessionState | null; children: ReactNode }) {
  const path = usePath();
  const role = state?.session.operator.role;
  const visible = state ? items.filter((i) => !i.needs || can(role, i.needs)) : [];
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header state={state} />
      <nav aria-label="Main" className="app-nav">
        <ul>
          {state ? null : (
            <li>
              <Link to="/sign-in" aria-current="page">
                Sign in
              </Link>
            </li>
          )}
          {visible.map((item) => (
            <li key={item.to}>
              <Link to={item.to} aria-current={isCurrent(item.to, path) ? 'page' : undefined}>
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" className="app-main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
