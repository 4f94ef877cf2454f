import { isRole, ROLES, type Role } from '../auth/roles';
import { inTransaction } from '../db/pool';
import { USERNAME } from '../directory/identifiers';
import { createUser, issueMachineToken, listUsers, revokeMachineTokens, updateUser, type User } from '../directory/users';
import { flag, need, str, UsageError, type Command, type Values } from './command';

// Accounts, as the admin's user pages manage them (src/directory/users.ts), for when there is no admin yet
// or no browser: the first admin, a locked-out admin's password, a station's token.

function role(values: Values): Role {
  const r = need(values, 'role');
  if (!isRole(r)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  return r;
}

/** Set by `--password P`, or from standard input by `--password-stdin` (see run.ts). */
function password(values: Values): string {
  if (typeof values.password !== 'string' || !values.password) throw new UsageError('give --password P or --password-stdin');
  return values.password;
}

const describe = (u: User) => [u.username, u.role, u.unitCode ?? '-', u.badgeNo ?? '-', u.active ? 'active' : 'deactivated'].join('\t');

/** `--unit CODE` sets it, `--no-unit` clears it, neither leaves it (undefined). */
function setOrClear(values: Values, name: string): string | null | undefined {
  if (values[name] !== undefined && values[`no-${name}`]) throw new UsageError(`give --${name} or --no-${name}, not both`);
  if (values[`no-${name}`]) return null;
  return values[name] === undefined ? undefined : need(values, name);
}

export const userCommands: Command[] = [
  {
    name: 'users add',
    options: { username: str, password: str, 'password-stdin': flag, role: str, unit: str, badge: str },
    prepare({ values }, config) {
      const username = need(values, 'username');
      if (!USERNAME.test(username)) throw new UsageError('--username may hold letters, digits, ., _ and - (2 to 64)');
      const input = { username, password: password(values), role: role(values), unitCode: values.unit as string | undefined, badgeNo: values.badge as string | undefined };
      return async ({ pool, out }) => {
        const user = await createUser(pool, input, config.auth.passwordMinLength);
        out(`created user ${user.username} (${user.role}${user.unitCode ? `, unit ${user.unitCode}` : ''})`);
        return 0;
      };
    },
  },
  {
    name: 'users list',
    options: {},
    prepare: () => async ({ pool, out }) => {
      for (const u of await listUsers(pool)) out(describe(u));
      return 0;
    },
  },
  {
    name: 'users deactivate',
    options: { username: str },
    prepare({ values }, config) {
      const username = need(values, 'username');
      return async ({ pool, out }) => {
        const user = await inTransaction(pool, (c) => updateUser(c, username, { active: false }, config.auth.passwordMinLength));
        out(`deactivated ${user.username}; its sessions and tokens are revoked`);
        return 0;
      };
    },
  },
  {
    name: 'users activate',
    options: { username: str },
    prepare({ values }, config) {
      const username = need(values, 'username');
      return async ({ pool, out }) => {
        const user = await inTransaction(pool, (c) => updateUser(c, username, { active: true }, config.auth.passwordMinLength));
        out(`activated ${user.username}; it logs in again (a station or integration account needs a new token)`);
        return 0;
      };
    },
  },
  {
    name: 'users update',
    options: { username: str, role: str, unit: str, 'no-unit': flag, badge: str, 'no-badge': flag },
    prepare({ values }, config) {
      const username = need(values, 'username');
      const change = {
        ...(values.role !== undefined ? { role: role(values) } : {}),
        ...(setOrClear(values, 'unit') !== undefined ? { unitCode: setOrClear(values, 'unit') } : {}),
        ...(setOrClear(values, 'badge') !== undefined ? { badgeNo: setOrClear(values, 'badge') } : {}),
      };
      if (!Object.keys(change).length) throw new UsageError('give what to change: --role, --unit, --no-unit, --badge or --no-badge');
      return async ({ pool, out }) => {
        const user = await inTransaction(pool, (c) => updateUser(c, username, change, config.auth.passwordMinLength));
        out(describe(user));
        return 0;
      };
    },
  },
  {
    name: 'users password',
    options: { username: str, password: str, 'password-stdin': flag },
    prepare({ values }, config) {
      const username = need(values, 'username');
      const secret = password(values);
      return async ({ pool, out }) => {
        const user = await inTransaction(pool, (c) => updateUser(c, username, { password: secret }, config.auth.passwordMinLength));
        out(`password changed for ${user.username}; its login sessions are ended`);
        return 0;
      };
    },
  },
  {
    name: 'tokens issue',
    options: { username: str },
    prepare({ values }) {
      const username = need(values, 'username');
      return async ({ pool, out }) => {
        out((await issueMachineToken(pool, username)).token);
        return 0;
      };
    },
  },
  {
    name: 'tokens revoke',
    options: { username: str },
    prepare({ values }) {
      const username = need(values, 'username');
      return async ({ pool, out }) => {
        const { username: name, revoked } = await revokeMachineTokens(pool, username);
        out(`revoked ${revoked} token(s) of ${name}`);
        return 0;
      };
    },
  },
];
