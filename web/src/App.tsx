import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, request, setCsrfToken, setUnauthorizedHandler } from './api.ts';
import { Layout } from './components/Layout.tsx';
import { SignIn } from './pages/signin/SignIn.tsx';
import { Routes } from './Routes.tsx';
import { currentConsolePath, navigate, usePath } from './router.tsx';
import { SessionContext, type SessionState } from './session.tsx';
import type { Session } from './types.ts';

type Boot = { state: 'loading' } | { state: 'signed-out' } | { state: 'signed-in'; session: Session };

/** Where to go back to after signing in (the page a 401 or a cold start interrupted). */
let returnTo = '/';

export function App() {
  const [boot, setBoot] = useState<Boot>({ state: 'loading' });
  const path = usePath();

  const endSession = useCallback(() => {
    setCsrfToken(null);
    setBoot({ state: 'signed-out' });
    const here = currentConsolePath();
    if (!here.startsWith('/sign-in')) returnTo = here;
    navigate('/sign-in', { replace: true });
  }, []);

  const begin = useCallback((session: Session) => {
    setCsrfToken(session.csrf_token);
    setBoot({ state: 'signed-in', session });
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(endSession);
    request<Session>('GET', '/v1/console/session', { session: false })
      .then(begin)
      .catch(() => endSession());
    return () => setUnauthorizedHandler(null);
  }, [begin, endSession]);

  useEffect(() => {
    if (boot.state === 'signed-in' && path.startsWith('/sign-in')) navigate('/', { replace: true });
  }, [boot.state, path]);

  const signOut = useCallback(
    async (everywhere: boolean) => {
      await api.post(everywhere ? '/v1/console/sign-out-everywhere' : '/v1/console/sign-out');
      returnTo = '/';
      endSession();
    },
    [endSession],
  );

  const state = useMemo<SessionState | null>(
    () => (boot.state === 'signed-in' ? { session: boot.session, signOut } : null),
    [boot, signOut],
  );

  if (boot.state === 'loading') {
    return (
      <p className="boot" aria-live="polite">
        Loading the console…
      </p>
    );
  }
  if (!state) {
    return (
      <Layout state={null}>
        <SignIn
          onSignedIn={(session) => {
            begin(session);
            const target = returnTo;
            returnTo = '/';
            navigate(target, { replace: true });
          }}
        />
      </Layout>
    );
  }
  return (
    <SessionContext.Provider value={state}>
      <Layout state={state}>
        <Routes path={path} />
      </Layout>
    </SessionContext.Provider>
  );
}
