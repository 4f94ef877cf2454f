import { isIPv4, isIPv6 } from 'node:net';
import type { Db } from '../db/pool';

/** Failed logins allowed per account and per client address within `windowMs` (config.auth.loginThrottle). */
export interface LoginLimits {
  maxPerAccount: number;
  maxPerAddress: number;
  windowMs: number;
}

export type LoginAttempt =
  | { admitted: true; id: number }
  | { admitted: false; retryAfterS: number; limitedBy: 'account' | 'address' };

/**
 * What a per-address limit counts against: an IPv4 address as it is (IPv4-mapped IPv6 too), an IPv6
 * address by its /64, the block one subscriber or LAN is given (one host can pick any address in it).
 */
export function addressKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIPv4(ip)) return ip;
  const bare = ip.split('%')[0]!; // a zone id (fe80::1%eth0) is not part of the address
  if (!isIPv6(bare)) return ip;
  return `${ipv6Groups(bare).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, in hex without leading zeros. */
function ipv6Groups(ip: string): string[] {
  let s = ip.toLowerCase();
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  let groups: string[];
  if (s.includes('::')) {
    const [head, tail] = s.split('::') as [string, string];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  } else {
    groups = s.split(':');
  }
  return groups.map((g) => parseInt(g, 16).toString(16));
}

const WINDOW = `($3::bigint * interval '1 millisecond')`;

/**
 * Records a login attempt as a failure before its password is checked, then decides whether it may go on.
 * Recording first makes the limit hold under concurrency: of N guesses sent at once, the k-th to be recorded
 * sees at least k-1 others, so no more than the limit get their password checked. An attempt refused here is
 * not left as a failure (the password was never tried, and a lockout should not grow while it is refused);
 * an admitted one stays a failure unless `loginSucceeded` clears it. Rows past the window are pruned on the way.
 *
 * The account counts whether or not it exists, so the answer never tells which names are real.
 */
export async function beginLoginAttempt(db: Db, who: { username: string; address: string }, limits: LoginLimits): Promise<LoginAttempt> {
  const { rows } = await db.query<{ id: number }>(
    `WITH pruned AS (DELETE FROM login_failures WHERE failed_at < now() - ${WINDOW})
     INSERT INTO login_failures (account, address) VALUES (lower($1), $2) RETURNING id`,
    [who.username, who.address, limits.windowMs],
  );
  const id = rows[0]!.id;
  // Each limit is reached when `max` other failures are in the window; it lifts when the max-th newest of them leaves it.
  const waits = await db.query<{ account: number | null; address: number | null }>(
    `SELECT
       (SELECT ceil(extract(epoch FROM f.failed_at + ${WINDOW} - now()))::int FROM login_failures f
         WHERE f.account = lower($1) AND f.id <> $4 AND f.failed_at > now() - ${WINDOW}
         ORDER BY f.failed_at DESC OFFSET $5::int - 1 LIMIT 1) AS account,
       (SELECT ceil(extract(epoch FROM f.failed_at + ${WINDOW} - now()))::int FROM login_failures f
         WHERE f.address = $2 AND f.id <> $4 AND f.failed_at > now() - ${WINDOW}
         ORDER BY f.failed_at DESC OFFSET $6::int - 1 LIMIT 1) AS address`,
    [who.username, who.address, limits.windowMs, id, limits.maxPerAccount, limits.maxPerAddress],
  );
  const { account, address } = waits.rows[0]!;
  if (account === null && address === null) return { admitted: true, id };
  await db.query('DELETE FROM login_failures WHERE id = $1', [id]);
  const limitedBy = (account ?? 0) >= (address ?? 0) ? 'account' : 'address';
  return { admitted: false, retryAfterS: Math.max(1, account ?? 0, address ?? 0), limitedBy };
}

/**
 * The password was right: this attempt was no failure, and the account's earlier failures are forgiven. They
 * still count against the addresses they came from, or a guesser holding one account could reset its own
 * per-address limit by logging in to it between guesses at others.
 */
export async function loginSucceeded(db: Db, attemptId: number, username: string): Promise<void> {
  await db.query(
    `WITH own AS (DELETE FROM login_failures WHERE id = $1)
     UPDATE login_failures SET account = NULL WHERE account = lower($2) AND id <> $1`,
    [attemptId, username],
  );
}
