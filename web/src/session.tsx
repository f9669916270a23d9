import { createContext, useContext } from 'react';
import type { Role } from './roles.ts';
import type { Session } from './types.ts';

export interface SessionState {
  session: Session;
  signOut: (everywhere: boolean) => Promise<void>;
}

export const SessionContext = createContext<SessionState | null>(null);

/** The signed-in operator's session (every page but sign-in renders inside it). */
export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside a signed-in console');
  return state;
}

export function useRole(): Role {
  return useSession().session.operator.role;
}
