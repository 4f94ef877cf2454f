import type { RequestHandler, Response } from 'express';
import type { Pool } from '../db/pool';
import { AppError } from '../errors';
import { reachOf, type Permission, type Reach } from '../auth/roles';
import { resolveToken, type AuthUser } from '../auth/tokens';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      user?: AuthUser;
      /** How the caller authenticated: the CSRF guard applies to cookies only. */
      authVia?: 'bearer' | 'cookie';
      tokenId?: number;
      /** Why the credentials sent did not authenticate, for the 401 of a route that needs them. */
      authProblem?: string;
      /** What the route's permission grants this caller. */
      reach?: Reach;
    }
  }
}

export const SESSION_COOKIE = 'bce_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

// Tokens are base64url: a cookie value is used as sent, never URI-decoded (a bad escape must not throw).
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Reads a bearer token or the session cookie, when present; deciding what that allows is `authorize`'s job.
 * Credentials that do not resolve leave the caller anonymous, so public routes (login) still work with a
 * stale cookie in the browser, and a stale cookie is cleared.
 */
export function authenticate(pool: Pool, cookieSecure: boolean): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization');
    let token: string | undefined;
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) {
        req.authProblem = 'the Authorization header must be "Bearer <token>"';
        return next();
      }
      token = m[1];
      req.authVia = 'bearer';
    } else {
      token = cookieValue(req.get('cookie'), SESSION_COOKIE);
      if (token) req.authVia = 'cookie';
    }
    if (token) {
      const found = await resolveToken(pool, token);
      if (found) {
        const { tokenId, ...user } = found;
        req.user = user;
        req.tokenId = tokenId;
      } else {
        req.authProblem = 'the token or session is invalid, expired or revoked';
        if (req.authVia === 'cookie') clearSessionCookie(res, cookieSecure);
      }
    }
    next();
  };
}

/** 401 without credentials, 403 for a role without the permission or a cookie request without the CSRF header. */
export function authorize(permission: Permission): RequestHandler {
  return (req, _res, next) => {
    if (!req.user) throw new AppError(401, 'unauthenticated', req.authProblem ?? 'log in or send a bearer token');
    const reach = reachOf(req.user.role, permission);
    if (!reach) throw new AppError(403, 'forbidden', `the ${req.user.role} role may not do this`);
    // The routes any session may use are who-am-I, logout and changing the password: all that is left open.
    if (req.user.mustChangePassword && permission !== 'session') {
      throw new AppError(403, 'password_change_required', 'the password was set by an admin: change it first (POST /api/auth/password)');
    }
    if (req.authVia === 'cookie' && !SAFE_METHODS.has(req.method) && !req.get('x-requested-with')) {
      throw new AppError(403, 'csrf', 'a change made with the session cookie must carry the X-Requested-With header');
    }
    req.reach = reach;
    next();
  };
}

/** The unit a scoped caller is limited to, or null when they see the whole bureau. */
export function scopeUnitId(req: { user?: AuthUser; reach?: Reach }): number | null {
  return req.reach === 'all' ? null : (req.user?.unitId ?? null);
}

export function setSessionCookie(res: Response, token: string, maxAgeMs: number, secure: boolean): void {
  res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure, path: '/', maxAge: maxAgeMs });
}

export function clearSessionCookie(res: Response, secure: boolean): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure, path: '/' });
}
