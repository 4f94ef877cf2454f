import { createHmac } from 'node:crypto';

// The spot check's draw (双随机, REGULATION.md "Spot checks"): pure functions of the seed and the population,
// so the same seed, data and regulation version give the same sample and the same inspectors on any machine,
// and anyone holding the seed can recompute them (e.g. `openssl dgst -sha256 -hmac SEED`).

export const SAMPLE_MODES = ['ratio', 'perUnit'] as const;
export type SampleMode = (typeof SAMPLE_MODES)[number];

/** `ratio`: a fraction in (0, 1] with at most 4 decimals (0.1 is 10 %); `perUnit`: a whole number ≥ 1. */
export interface SampleSpec {
  mode: SampleMode;
  value: number;
}

/** One activity of the population: the unit it is drawn in and what its rank key is made of. */
export interface Candidate {
  caseNo: string;
  activityKey: string;
  unitCode: string;
}

/** An inspector of the pool: their own unit (the user's unit, or else their officer's unit) or null. */
export interface PoolInspector {
  username: string;
  ownUnitCode: string | null;
}

const hmacHex = (seed: string, message: string) => createHmac('sha256', Buffer.from(seed, 'utf8')).update(message, 'utf8').digest('hex');

/** Plain code-unit order: the same on every machine, whatever its locale (hex keys, ASCII unit codes). */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Lowercase hex HMAC-SHA256(key = seed, message = caseNo + "/" + activityKey), all UTF-8. */
export const rankKey = (seed: string, caseNo: string, activityKey: string): string => hmacHex(seed, `${caseNo}/${activityKey}`);

/** Lowercase hex HMAC-SHA256(key = seed, message = "inspector/" + username): the pool's order. */
export const inspectorKey = (seed: string, username: string): string => hmacHex(seed, `inspector/${username}`);

/** A ratio as a whole number of ten-thousandths, or null when it has more than 4 decimals or is outside (0, 1]. */
export function ratioBasisPoints(ratio: number): number | null {
  const bp = Math.round(ratio * 10_000);
  if (!Number.isFinite(ratio) || bp < 1 || bp > 10_000 || Math.abs(ratio * 10_000 - bp) > 1e-9) return null;
  return bp;
}

/**
 * How many of a unit's n activities are drawn. `ratio` r: k = ceil(round(r × 10000) × n / 10000), in integers,
 * and at least 1 where n ≥ 1; `perUnit` v: min(v, n). Never more than n, 0 when n is 0.
 */
export function sampleSize(mode: SampleMode, value: number, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`population size ${n} is not a whole number ≥ 0`);
  if (n === 0) return 0;
  if (mode === 'perUnit') {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`perUnit ${value} is not a whole number ≥ 1`);
    return Math.min(value, n);
  }
  const bp = ratioBasisPoints(value);
  if (bp === null) throw new RangeError(`ratio ${value} is not a fraction in (0, 1] with at most 4 decimals`);
  // Integers throughout: ceil(a / b) = floor((a + b - 1) / b), with a = bp × n exact below 2^53.
  const k = Math.floor((bp * n + 9_999) / 10_000);
  return Math.min(n, Math.max(1, k));
}

/**
 * The sample: stratified by unit; within a unit the activities sorted by rank key ascending and the first k
 * taken. Listed by unit code, then rank key (ties, impossible between distinct activities of one unit, by
 * case number and activity key).
 */
export function drawSample<T extends Candidate>(population: readonly T[], spec: SampleSpec, seed: string): (T & { rankKey: string })[] {
  const byUnit = new Map<string, (T & { rankKey: string })[]>();
  for (const c of population) {
    const list = byUnit.get(c.unitCode) ?? [];
    list.push({ ...c, rankKey: rankKey(seed, c.caseNo, c.activityKey) });
    byUnit.set(c.unitCode, list);
  }
  const out: (T & { rankKey: string })[] = [];
  for (const unit of [...byUnit.keys()].sort(byText)) {
    const ranked = byUnit.get(unit)!.sort((a, b) => byText(a.rankKey, b.rankKey) || byText(a.caseNo, b.caseNo) || byText(a.activityKey, b.activityKey));
    out.push(...ranked.slice(0, sampleSize(spec.mode, spec.value, ranked.length)));
  }
  return out;
}

/** The pool in dealing order: by inspectorKey ascending (then username, for a pool naming someone twice). */
export function orderPool<P extends PoolInspector>(pool: readonly P[], seed: string): (P & { key: string })[] {
  return pool.map((p) => ({ ...p, key: inspectorKey(seed, p.username) })).sort((a, b) => byText(a.key, b.key) || byText(a.username, b.username));
}

/**
 * Deals the items, in list order, round-robin to the ordered pool: each item goes to the next inspector after
 * the one who got the previous item, skipping any whose own unit is the item's unit (the skipped inspector
 * simply loses that turn, as when dealing cards around a table). An item that every inspector of the pool
 * would have to skip — all of them are of its unit — is left unassigned (null): any supervisor or reviewer in
 * scope may then judge it, and the turn does not move. An empty pool leaves every item unassigned.
 * Returns the inspector of each item, in the items' order.
 */
export function dealInspectors(items: readonly { unitCode: string }[], pool: readonly PoolInspector[], seed: string): (string | null)[] {
  const ordered = orderPool(pool, seed);
  let next = 0;
  return items.map((item) => {
    for (let step = 0; step < ordered.length; step++) {
      const i = (next + step) % ordered.length;
      if (ordered[i]!.ownUnitCode !== item.unitCode) {
        next = (i + 1) % ordered.length;
        return ordered[i]!.username;
      }
    }
    return null;
  });
}
