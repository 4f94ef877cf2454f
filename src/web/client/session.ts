import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export type Role = 'admin' | 'supervisor' | 'reviewer' | 'officer' | 'station' | 'integration';

export interface SessionUser {
  id: number;
  username: string;
  role: Role;
  unitCode: string | null;
  badgeNo: string | null;
  /** An admin set the password: the API allows nothing else until its owner changes it. */
  mustChangePassword: boolean;
}

export const SessionContext = createContext<SessionUser | null>(null);

/** The logged-in user (pages render only inside a session). */
export function useUser(): SessionUser {
  const user = useContext(SessionContext);
  if (!user) throw new Error('no session');
  return user;
}

// What each role is offered; the API enforces the same table (API.md), the UI only hides what it would refuse.
export const can = {
  readRecordings: (r: Role) => r === 'admin' || r === 'supervisor' || r === 'reviewer' || r === 'officer',
  readCases: (r: Role) => r === 'admin' || r === 'supervisor' || r === 'reviewer',
  writeLinks: (r: Role) => r === 'admin' || r === 'supervisor' || r === 'reviewer',
  exportCase: (r: Role) => r === 'admin' || r === 'supervisor' || r === 'reviewer',
  readCustody: (r: Role) => r === 'admin' || r === 'supervisor' || r === 'reviewer',
  openSpotChecks: (r: Role) => r === 'admin' || r === 'supervisor',
  readSpotChecks: (r: Role) => r === 'admin' || r === 'supervisor' || r === 'reviewer',
  compliance: (r: Role) => r === 'admin' || r === 'supervisor' || r === 'reviewer',
  admin: (r: Role) => r === 'admin',
  holds: (r: Role) => r === 'admin',
};
