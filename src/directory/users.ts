import type { Client, Db, Pool } from '../db/pool';
import { inTransaction, PgCode, pgCode } from '../db/pool';
import { hashPassword, passwordProblem, verifyPassword } from '../auth/passwords';
import type { Role } from '../auth/roles';
import { issueToken, revokeUserTokens } from '../auth/tokens';
import { AppError, badRequest, conflict, notFound } from '../errors';
import { officerIdOf } from './officers';
import { unitIdOf } from './units';

export interface User {
  id: number;
  username: string;
  role: Role;
  unitCode: string | null;
  badgeNo: string | null;
  active: boolean;
  /** Set by an admin's password: the owner changes it at their next login before anything else. */
  mustChangePassword: boolean;
}

const SELECT = `SELECT u.id, u.username, u.role, un.code AS "unitCode", o.badge_no AS "badgeNo", u.active,
  u.must_change_password AS "mustChangePassword"
  FROM users u LEFT JOIN units un ON un.id = u.unit_id LEFT JOIN officers o ON o.id = u.officer_id`;

export interface NewUser {
  username: string;
  password: string;
  role: Role;
  badgeNo?: string | null;
  unitCode?: string | null;
  /** The password was set by someone else (an admin): its owner changes it before anything else. */
  mustChangePassword?: boolean;
}

/** Station and integration accounts: machines, which work with long-lived tokens rather than passwords. */
const isMachineRole = (role: Role) => role === 'station' || role === 'integration';

/** Only a person's account is made to change a password. */
const personal = (role: Role, mustChange: boolean | undefined) => mustChange === true && !isMachineRole(role);

export async function createUser(db: Db, input: NewUser, passwordMinLength: number): Promise<User> {
  const weak = passwordProblem(input.password, passwordMinLength);
  if (weak) throw badRequest('weak_password', `password ${weak}`, 'password');
  // An officer's account is how "own footage" is decided: it must name the officer.
  if (input.role === 'officer' && !input.badgeNo) throw badRequest('badge_required', 'an officer account needs badgeNo', 'badgeNo');
  const unitId = input.unitCode ? await unitIdOf(db, input.unitCode) : null;
  const officerId = input.badgeNo ? (await officerIdOf(db, input.badgeNo)).id : null;
  const hash = await hashPassword(input.password);
  try {
    const { rows } = await db.query<{ id: number }>(
      'INSERT INTO users (username, password_hash, role, unit_id, officer_id, must_change_password) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
      [input.username, hash, input.role, unitId, officerId, personal(input.role, input.mustChangePassword)],
    );
    return (await getUserById(db, rows[0]!.id))!;
  } catch (err) {
    if (pgCode(err) === PgCode.uniqueViolation) throw conflict('user_exists', `user ${input.username} already exists`, 'username');
    throw err;
  }
}

/** Changes a user. Deactivating, or changing a role or unit, ends the user's sessions and tokens. */
export async function updateUser(
  client: Client,
  username: string,
  change: { active?: boolean; role?: Role; unitCode?: string | null; badgeNo?: string | null; password?: string; mustChangePassword?: boolean },
  passwordMinLength: number,
): Promise<User> {
  const current = await getUserByUsername(client, username);
  if (!current) throw notFound(`user ${username}`);
  const role = change.role ?? current.role;
  const badgeNo = change.badgeNo !== undefined ? change.badgeNo : current.badgeNo;
  if (role === 'officer' && !badgeNo) throw badRequest('badge_required', 'an officer account needs badgeNo', 'badgeNo');
  let hash: string | null = null;
  if (change.password !== undefined) {
    const weak = passwordProblem(change.password, passwordMinLength);
    if (weak) throw badRequest('weak_password', `password ${weak}`, 'password');
    hash = await hashPassword(change.password);
  }
  // A new password decides it; otherwise it stays, unless the account became a machine's.
  const mustChange = hash ? personal(role, change.mustChangePassword) : isMachineRole(role) ? false : null;
  const unitId = change.unitCode === undefined ? undefined : change.unitCode === null ? null : await unitIdOf(client, change.unitCode);
  const officerId = change.badgeNo === undefined ? undefined : change.badgeNo === null ? null : (await officerIdOf(client, change.badgeNo)).id;
  await client.query(
    `UPDATE users SET active = coalesce($2, active), role = $3,
        unit_id = CASE WHEN $4 THEN $5 ELSE unit_id END, officer_id = CASE WHEN $6 THEN $7 ELSE officer_id END,
        password_hash = coalesce($8, password_hash),
        must_change_password = coalesce($9, must_change_password), updated_at = now()
      WHERE id = $1`,
    [current.id, change.active ?? null, role, unitId !== undefined, unitId ?? null, officerId !== undefined, officerId ?? null, hash, mustChange],
  );
  const updated = (await getUserById(client, current.id))!;
  const narrowed =
    (current.active && !updated.active) || current.role !== updated.role || current.unitCode !== updated.unitCode || current.badgeNo !== updated.badgeNo;
  if (narrowed) await revokeUserTokens(client, current.id);
  else if (hash) await revokeUserTokens(client, current.id, 'session');
  return updated;
}

export interface OwnPasswordChange {
  currentPassword: string;
  newPassword: string;
}

/** Why a new password of one's own is refused, decided from the request alone (before any password is tried). */
export function ownPasswordProblem(change: OwnPasswordChange, passwordMinLength: number): AppError | null {
  if (change.newPassword.normalize('NFC') === change.currentPassword.normalize('NFC')) {
    return badRequest('same_password', 'the new password is the current one', 'newPassword');
  }
  const weak = passwordProblem(change.newPassword, passwordMinLength);
  return weak ? badRequest('weak_password', `password ${weak}`, 'newPassword') : null;
}

/**
 * A user sets their own password, proving they know the current one (check `ownPasswordProblem` first). Their
 * other login sessions end (whoever else may have had the old password is logged out); the session making the
 * change, `keepTokenId`, goes on. Station and integration tokens are not sessions and stay. The two scrypt runs
 * (32 MiB each) happen before the transaction, so no pooled connection or row lock waits on them; the update
 * then applies only over the hash that was checked.
 */
export async function changeOwnPassword(pool: Pool, userId: number, change: OwnPasswordChange, keepTokenId: number | undefined): Promise<void> {
  const { rows } = await pool.query<{ hash: string }>('SELECT password_hash AS hash FROM users WHERE id = $1', [userId]);
  if (!rows[0]) throw notFound('user');
  const checked = rows[0].hash;
  if (!(await verifyPassword(change.currentPassword, checked))) {
    throw badRequest('wrong_password', 'the current password is not right', 'currentPassword');
  }
  const hash = await hashPassword(change.newPassword);
  await inTransaction(pool, async (c) => {
    const { rowCount } = await c.query(
      'UPDATE users SET password_hash = $3, must_change_password = false, updated_at = now() WHERE id = $1 AND password_hash = $2',
      [userId, checked, hash],
    );
    if (!rowCount) throw conflict('password_changed', 'the password was changed meanwhile (by another session or an admin); log in again', 'currentPassword');
    await revokeUserTokens(c, userId, 'session', keepTokenId);
  });
}

/** A long-lived API token for an active station or integration account (the API's and the command line's way). */
export async function issueMachineToken(db: Db, username: string): Promise<{ username: string; token: string; tokenId: number }> {
  const user = await getUserByUsername(db, username);
  if (!user) throw notFound(`user ${username}`);
  if (!user.active) throw new AppError(422, 'user_inactive', `user ${user.username} is deactivated`, 'username');
  assertMachineAccount(user.role);
  const { token, id } = await issueToken(db, user.id, 'api', null);
  return { username: user.username, token, tokenId: id };
}

/** Revokes every API token of an account; answers how many were live. */
export async function revokeMachineTokens(db: Db, username: string): Promise<{ username: string; revoked: number }> {
  const user = await getUserByUsername(db, username);
  if (!user) throw notFound(`user ${username}`);
  return { username: user.username, revoked: await revokeUserTokens(db, user.id, 'api') };
}

export async function getUserByUsername(db: Db, username: string): Promise<User | null> {
  const { rows } = await db.query<User>(`${SELECT} WHERE lower(u.username) = lower($1)`, [username]);
  return rows[0] ?? null;
}

export async function getUserById(db: Db, id: number): Promise<User | null> {
  const { rows } = await db.query<User>(`${SELECT} WHERE u.id = $1`, [id]);
  return rows[0] ?? null;
}

export async function listUsers(db: Db): Promise<User[]> {
  const { rows } = await db.query<User>(`${SELECT} ORDER BY lower(u.username)`);
  return rows;
}

/** The stored hash and state needed to check a login. */
export async function credentialsOf(db: Db, username: string): Promise<{ id: number; passwordHash: string; active: boolean } | null> {
  const { rows } = await db.query<{ id: number; passwordHash: string; active: boolean }>(
    'SELECT id, password_hash AS "passwordHash", active FROM users WHERE lower(username) = lower($1)',
    [username],
  );
  return rows[0] ?? null;
}

/**
 * Tokens that never expire are for machines (a docking station, the penalty-case system). A person logs in
 * and gets a session that does.
 */
export function assertMachineAccount(role: Role): void {
  if (!isMachineRole(role)) {
    throw new AppError(422, 'not_a_machine_account', `tokens are issued to station and integration accounts, not to a ${role}`, 'username');
  }
}
