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
      /** What the route's permission grants this caller. */
      reach?: Reach;
    }
  }
}

export const SESSION_COOKIE = 'bce_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** Reads a bearer token or the session cookie, when present; deciding what that allows is `authorize`'s job. */
export function authenticate(pool: Pool): RequestHandler {
  return async (req, _res, next) => {
    const header = req.get('authorization');
    let token: string | undefined;
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) throw new AppError(401, 'unauthenticated', 'the Authorization header must be "Bearer <token>"');
      token = m[1];
      req.authVia = 'bearer';
    } else {
      token = cookieValue(req.get('cookie'), SESSION_COOKIE);
      if (token) req.authVia = 'cookie';
    }
    if (token) {
      const found = await resolveToken(pool, token);
      if (!found) throw new AppError(401, 'unauthenticated', 'the token or session is invalid, expired or revoked');
      const { tokenId, ...user } = found;
      req.user = user;
      req.tokenId = tokenId;
    }
    next();
  };
}

/** 401 without credentials, 403 for a role without the permission or a cookie request without the CSRF header. */
export function authorize(permission: Permission): RequestHandler {
  return (req, _res, next) => {
    if (!req.user) throw new AppError(401, 'unauthenticated', 'log in or send a bearer token');
    const reach = reachOf(req.user.role, permission);
    if (!reach) throw new AppError(403, 'forbidden', `the ${req.user.role} role may not do this`);
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
