export const ROLES = ['admin', 'supervisor', 'reviewer', 'officer', 'station', 'integration'] as const;
export type Role = (typeof ROLES)[number];

/** How far a grant reaches: the whole bureau, the user's unit (whole bureau when they have none), or own footage. */
export type Reach = 'all' | 'scope' | 'own';

/**
 * Who may do what: API.md's table, one row per permission. The HTTP layer names a permission on every
 * route; a route without one does not register.
 */
export const PERMISSIONS = {
  'directory.write': { admin: 'all' },
  'holds.write': { admin: 'all' },
  /** The retention run's report: what it deleted and what it would delete next. */
  'retention.read': { admin: 'all' },
  'directory.read': { admin: 'all', supervisor: 'scope', reviewer: 'scope' },
  'recordings.upload': { admin: 'all', officer: 'own', station: 'all' },
  'recordings.read': { admin: 'all', supervisor: 'scope', reviewer: 'scope', officer: 'own' },
  'cases.read': { admin: 'all', supervisor: 'scope', reviewer: 'scope', integration: 'all' },
  'cases.write': { admin: 'all', integration: 'all' },
  /** Link, unlink, mark important. */
  'links.write': { admin: 'all', supervisor: 'scope', reviewer: 'scope' },
  'evidence.export': { admin: 'all', supervisor: 'scope', reviewer: 'scope' },
  'custody.read': { admin: 'all', supervisor: 'scope', reviewer: 'scope' },
  'spotchecks.open': { admin: 'all', supervisor: 'scope' },
  'spotchecks.read': { admin: 'all', supervisor: 'scope', reviewer: 'scope' },
  'verdicts.record': { admin: 'all', supervisor: 'scope', reviewer: 'scope' },
  'compliance.read': { admin: 'all', supervisor: 'scope', reviewer: 'scope', officer: 'own' },
  'metrics.read': { admin: 'all' },
  session: { admin: 'all', supervisor: 'all', reviewer: 'all', officer: 'all', station: 'all', integration: 'all' },
} as const satisfies Record<string, Partial<Record<Role, Reach>>>;

export type Permission = keyof typeof PERMISSIONS;

/** The reach a role has for a permission, or null when it has none. */
export function reachOf(role: Role, permission: Permission): Reach | null {
  const grants: Partial<Record<Role, Reach>> = PERMISSIONS[permission];
  return grants[role] ?? null;
}

export const isRole = (v: unknown): v is Role => typeof v === 'string' && (ROLES as readonly string[]).includes(v);
