// The "open a spot check" form checked before it is sent, as POST /api/spot-checks would check it
// (src/http/routes/spot-checks.ts), and turned into the request body. Problems are codes; the page words them.

export type SampleMode = 'ratio' | 'perUnit';

export interface OpenForm {
  from: string;
  to: string;
  /** Empty: every unit (only offered to a user without a unit). */
  unitCodes: string[];
  mode: SampleMode;
  /** The ratio as the person types it: a percentage, `10` or `10%` for 10 %. */
  ratioPercent: string;
  perUnit: string;
  seed: string;
  /** Usernames separated by commas, semicolons or spaces. */
  inspectors: string;
}

export interface OpenBody {
  from: string;
  to: string;
  unitCodes?: string[];
  sample: { mode: SampleMode; value: number };
  seed?: string;
  inspectors?: string[];
}

export type FormProblem =
  | 'required'
  | 'invalidDate'
  | 'dateOrder'
  | 'ratioFormat'
  | 'ratioRange'
  | 'perUnitRange'
  | 'seedLength'
  | 'seedControl'
  | 'inspectorName'
  | 'inspectorTwice';

export type FormProblems = Partial<Record<'from' | 'to' | 'ratio' | 'perUnit' | 'seed' | 'inspectors', FormProblem>>;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const USERNAME = /^[A-Za-z0-9._-]{2,64}$/;
// The API's seed rule: the seed is the HMAC key exactly as typed, so it is neither trimmed nor normalized.
const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
const PERCENT = /^(\d{1,3})(\.\d{1,2})?$/;

function dayProblem(day: string): FormProblem | undefined {
  if (!day) return 'required';
  if (!DAY.test(day)) return 'invalidDate';
  const d = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(day) ? undefined : 'invalidDate';
}

/**
 * A percentage as the API's fraction: `10` → 0.1, `12.5%` → 0.125, `0.01` → 0.0001 (at most two decimals
 * of a per cent is at most four of the fraction). A problem code when it is not one.
 */
export function ratioFromPercent(text: string): number | FormProblem {
  const s = text.trim().replace(/\s*[%％]$/, '');
  if (!s) return 'required';
  if (!PERCENT.test(s)) return 'ratioFormat';
  // Whole basis points: 12.34 % is 1234 ⁄ 10000, exactly the fraction 0.1234 with no float residue.
  const basisPoints = Math.round(Number(s) * 100);
  if (basisPoints < 1 || basisPoints > 10_000) return 'ratioRange';
  return basisPoints / 10_000;
}

/** A fraction as the percentage people read: 0.1 → 10, 0.1234 → 12.34. */
export const percentOfRatio = (fraction: number) => Number((fraction * 100).toFixed(2));

export const splitInspectors = (text: string) => text.split(/[\s,;，；、]+/).filter(Boolean);

/** The problems of the form (none: it may be sent). */
export function openFormProblems(f: OpenForm): FormProblems {
  const out: FormProblems = {};
  out.from = dayProblem(f.from);
  out.to = dayProblem(f.to);
  if (!out.from && !out.to && f.from > f.to) out.to = 'dateOrder';
  if (f.mode === 'ratio') {
    const r = ratioFromPercent(f.ratioPercent);
    if (typeof r !== 'number') out.ratio = r;
  } else {
    const s = f.perUnit.trim();
    if (!s) out.perUnit = 'required';
    else if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 100_000) out.perUnit = 'perUnitRange';
  }
  const seedLength = [...f.seed].length;
  if (seedLength > 200) out.seed = 'seedLength';
  else if (CONTROL.test(f.seed)) out.seed = 'seedControl';
  const names = splitInspectors(f.inspectors);
  if (names.some((n) => !USERNAME.test(n))) out.inspectors = 'inspectorName';
  else if (new Set(names.map((n) => n.toLowerCase())).size !== names.length) out.inspectors = 'inspectorTwice';
  for (const k of Object.keys(out) as (keyof FormProblems)[]) if (!out[k]) delete out[k];
  return out;
}

/** The request body of a form without problems. */
export function openBody(f: OpenForm): OpenBody {
  const value = f.mode === 'ratio' ? (ratioFromPercent(f.ratioPercent) as number) : Number(f.perUnit.trim());
  const inspectors = splitInspectors(f.inspectors);
  return {
    from: f.from,
    to: f.to,
    ...(f.unitCodes.length ? { unitCodes: [...f.unitCodes].sort() } : {}),
    sample: { mode: f.mode, value },
    // An empty seed asks the server for a random one; any other is sent exactly as typed.
    ...(f.seed !== '' ? { seed: f.seed } : {}),
    ...(inspectors.length ? { inspectors } : {}),
  };
}
