import { z } from 'zod';
import type { Context } from '../../context';
import { AppError } from '../../errors';
import { DUMMY_HASH, verifyPassword } from '../../auth/passwords';
import { issueToken, revokeTokenById } from '../../auth/tokens';
import { credentialsOf, getUserById } from '../../directory/users';
import { clearSessionCookie, setSessionCookie } from '../auth';
import type { RouteTable } from '../route-table';
import { parse } from '../validate';

const loginBody = z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });

export function authRoutes(routes: RouteTable, ctx: Context): void {
  const { pool, config } = ctx;

  routes.add('post', '/api/auth/login', 'public', async (req, res) => {
    const { username, password } = parse(loginBody, req.body);
    const creds = await credentialsOf(pool, username);
    const ok = await verifyPassword(password, creds?.passwordHash ?? DUMMY_HASH);
    if (!creds || !ok || !creds.active) {
      ctx.logger.info({ username }, 'login refused');
      throw new AppError(401, 'invalid_credentials', 'wrong username or password, or the account is deactivated');
    }
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
