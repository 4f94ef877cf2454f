import { z } from 'zod';
import type { Context } from '../../context';
import { AppError } from '../../errors';
import { addressKey, beginLoginAttempt, loginSucceeded } from '../../auth/login-throttle';
import { DUMMY_HASH, verifyPassword } from '../../auth/passwords';
import { issueToken, revokeTokenById } from '../../auth/tokens';
import { changeOwnPassword, credentialsOf, getUserById, ownPasswordProblem } from '../../directory/users';
import { clearSessionCookie, setSessionCookie } from '../auth';
import type { RouteTable } from '../route-table';

// No control characters in a name: PostgreSQL refuses NUL in text, and no account has one anyway.
const loginBody = z.strictObject({
  username: z.string().min(1).max(64).regex(/^\P{Cc}+$/u, 'no control characters'),
  password: z.string().min(1).max(256),
});

const passwordBody = z.strictObject({
  currentPassword: z.string().min(1).max(256),
  newPassword: z.string().max(256),
});

export function authRoutes(routes: RouteTable, ctx: Context): void {
  const { pool, config } = ctx;

  routes.add(
    {
      method: 'post',
      path: '/api/auth/login',
      permission: 'public',
      summary: 'Log in with a username and password',
      description: 'Answers the session token and sets it as the `bce_session` cookie too. Failed logins are throttled per account and per address (429 with Retry-After).',
      json: loginBody,
    },
    async (req, res, valid) => {
      const { username, password } = valid.body();
      const address = addressKey(req.ip);
      // Over a limit the password is not even checked, so guessing stops; the answer is the same for a name that does not exist.
      const attempt = await beginLoginAttempt(pool, { username, address }, config.auth.loginThrottle);
      if (!attempt.admitted) {
        ctx.logger.warn({ username, address, limitedBy: attempt.limitedBy, retryAfterS: attempt.retryAfterS }, 'login throttled');
        throw new AppError(429, 'too_many_attempts', 'too many failed logins for this account or from this address; try again later', undefined, {
          'Retry-After': String(attempt.retryAfterS),
        });
      }
      const creds = await credentialsOf(pool, username);
      const ok = await verifyPassword(password, creds?.passwordHash ?? DUMMY_HASH);
      if (!creds || !ok || !creds.active) {
        ctx.logger.info({ username, address }, 'login refused');
        throw new AppError(401, 'invalid_credentials', 'wrong username or password, or the account is deactivated');
      }
      await loginSucceeded(pool, attempt.id, username);
      const user = (await getUserById(pool, creds.id))!;
      const { token } = await issueToken(pool, user.id, 'session', config.auth.sessionTtlMs);
      setSessionCookie(res, token, config.auth.sessionTtlMs, config.auth.cookieSecure);
      res.json({ token, user: { id: user.id, username: user.username, role: user.role, unitCode: user.unitCode, mustChangePassword: user.mustChangePassword } });
    },
  );

  routes.add(
    { method: 'post', path: '/api/auth/logout', permission: 'session', summary: 'Log out: revoke the token this request used and clear the cookie', responses: { 204: 'empty' } },
    async (req, res) => {
      await revokeTokenById(pool, req.tokenId!);
      clearSessionCookie(res, config.auth.cookieSecure);
      res.status(204).end();
    },
  );

  routes.add(
    {
      method: 'post',
      path: '/api/auth/password',
      permission: 'session',
      summary: 'Change one’s own password, giving the current one',
      description:
        'The caller’s other login sessions end; the one making the change goes on. A wrong current password counts as a failed login for the account and the address (429 with Retry-After over the limits), so a session left open cannot be used to guess it.',
      json: passwordBody,
      responses: { 204: 'empty' },
    },
    async (req, res, valid) => {
      const change = valid.body();
      // Refused from the request alone, before the current password is tried: such a refusal is no guess.
      const refused = ownPasswordProblem(change, config.auth.passwordMinLength);
      if (refused) throw refused;
      const user = req.user!;
      const address = addressKey(req.ip);
      const attempt = await beginLoginAttempt(pool, { username: user.username, address }, config.auth.loginThrottle);
      if (!attempt.admitted) {
        ctx.logger.warn({ username: user.username, address, limitedBy: attempt.limitedBy, retryAfterS: attempt.retryAfterS }, 'password change throttled');
        throw new AppError(429, 'too_many_attempts', 'too many wrong passwords for this account or from this address; try again later', undefined, {
          'Retry-After': String(attempt.retryAfterS),
        });
      }
      await changeOwnPassword(pool, user.id, change, req.tokenId);
      await loginSucceeded(pool, attempt.id, user.username);
      ctx.logger.info({ username: user.username, address }, 'password changed by its user');
      res.status(204).end();
    },
  );

  routes.add(
    {
      method: 'get',
      path: '/api/auth/me',
      permission: 'session',
      summary: 'Who the caller is: username, role, unit and badge',
      description: '`mustChangePassword`: the password was set by an admin; until its owner changes it, every other route answers 403 password_change_required.',
    },
    async (req, res) => {
      const u = req.user!;
      res.json({ id: u.id, username: u.username, role: u.role, unitCode: u.unitCode, badgeNo: u.badgeNo, mustChangePassword: u.mustChangePassword });
    },
  );
}
