import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/pool';
import type { Role } from './roles';

/** The authenticated caller, as every route sees it. */
export interface AuthUser {
  id: number;
  username: string;
  role: Role;
  /** The unit the user is limited to; null sees the whole bureau. */
  unitId: number | null;
  unitCode: string | null;
  /** The officer the user is (officer role), or is tied to. */
  officerId: number | null;
  badgeNo: string | null;
  /** A password an admin set is still in use: nothing but changing it (and /me, logout) is allowed. */
  mustChangePassword: boolean;
}

export type TokenKind = 'session' | 'api';

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/** Issues a new secret; only its hash is stored. `ttlMs` null: valid until revoked. */
export async function issueToken(db: Db, userId: number, kind: TokenKind, ttlMs: number | null): Promise<{ id: number; token: string; expiresAt: Date | null }> {
  const token = `bce_${randomBytes(32).toString('base64url')}`;
  const { rows } = await db.query<{ id: number; expires_at: Date | null }>(
    `INSERT INTO auth_tokens (user_id, kind, token_hash, expires_at)
     VALUES ($1, $2, $3, CASE WHEN $4::bigint IS NULL THEN NULL ELSE now() + $4::bigint * interval '1 millisecond' END)
     RETURNING id, expires_at`,
    [userId, kind, hashToken(token), ttlMs],
  );
  return { id: rows[0]!.id, token, expiresAt: rows[0]!.expires_at };
}

const USER_COLUMNS = `u.id, u.username, u.role, u.unit_id AS "unitId", un.code AS "unitCode",
  u.officer_id AS "officerId", o.badge_no AS "badgeNo", u.must_change_password AS "mustChangePassword"`;
const USER_JOINS = `LEFT JOIN units un ON un.id = u.unit_id LEFT JOIN officers o ON o.id = u.officer_id`;

/** The active user behind a live token, or null (unknown, expired, revoked, or the user deactivated). */
export async function resolveToken(db: Db, token: string): Promise<(AuthUser & { tokenId: number }) | null> {
  if (!/^bce_[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const { rows } = await db.query<AuthUser & { tokenId: number }>(
    `SELECT ${USER_COLUMNS}, t.id AS "tokenId"
       FROM auth_tokens t JOIN users u ON u.id = t.user_id ${USER_JOINS}
      WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now()) AND u.active`,
    [hashToken(token)],
  );
  return rows[0] ?? null;
}

export async function revokeTokenById(db: Db, tokenId: number): Promise<void> {
  await db.query('UPDATE auth_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [tokenId]);
}

/** Revokes a user's tokens of a kind (or all), but for `exceptTokenId`; returns how many were live. */
export async function revokeUserTokens(db: Db, userId: number, kind?: TokenKind, exceptTokenId?: number): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE auth_tokens SET revoked_at = now()
      WHERE user_id = $1 AND revoked_at IS NULL AND ($2::text IS NULL OR kind = $2) AND id IS DISTINCT FROM $3::bigint`,
    [userId, kind ?? null, exceptTokenId ?? null],
  );
  return rowCount ?? 0;
}
