import { z } from 'zod';
import type { Context } from '../../context';
import { AppError } from '../../errors';
import { addressKey, beginLoginAttempt, loginSucceeded } from '../../auth/login-throttle';
import { DUMMY_HASH, verifyPassword } from '../../auth/passwords';
import { issueToken, revokeTokenById } from '../../auth/tokens';
import { credentialsOf, getUserById } from '../../directory/users';
import { clearSessionCookie, setSessionCookie } from '../auth';
import type { RouteTable } from '../route-table';
import { parse } from '../validate';

// No control characters in a name: PostgreSQL refuses NUL in text, and no account has one anyway.
const loginBody = z.strictObject({
  username: z.string().min(1).max(64).regex(/^\P{Cc}+$/u, 'no control characters'),
  password: z.string().min(1).max(256),
});

export function authRoutes(routes: RouteTable, ctx: Context): void {
  const { pool, config } = ctx;

  routes.add('post', '/api/auth/login', 'public', async (req, res) => {
    const { username, password } = parse(loginBody, req.body);
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
    res.json({ token, user: { id: user.id, username: user.username, role: user.role, unitCode: user.unitCode } });
  });

  routes.add(
    'post',
    '/api/auth/logout',
    'session',
    async (req, res) => {
      await revokeTokenById(pool, req.tokenId!);
      clearSessionCookie(res, config.auth.cookieSecure);
      res.status(204).end();
    },
    'none',
  );

  routes.add('get', '/api/auth/me', 'session', async (req, res) => {
    const u = req.user!;
    res.json({ id: u.id, username: u.username, role: u.role, unitCode: u.unitCode, badgeNo: u.badgeNo });
  });
}
