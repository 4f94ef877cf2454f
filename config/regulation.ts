import { readFileSync } from 'node:fs';
import { z } from 'zod';

// The bureau's recorder-usage regulation as data (REGULATION.md): the rules' numbers, the activity types that
// must be recorded, the manual items and the bulletin's thresholds. The bureau edits the file; the rule logic
// does not change when a number does. Every spot check records the version it applied.

export const RULE_CODES = ['R1', 'R2', 'R3', 'R4', 'R5', 'R6'] as const;
export const MANUAL_CODES = ['M1', 'M2', 'M3', 'M4'] as const;
export type RuleCode = (typeof RULE_CODES)[number];
export type ManualCode = (typeof MANUAL_CODES)[number];
export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

const ACTIVITY_TYPES = ['inspection', 'questioning', 'on_the_spot_penalty', 'sampling', 'preservation', 'seizure', 'execution', 'service', 'hearing', 'other'] as const;

const text = z.string().trim().min(1).max(200);
const localized = z.strictObject({ 'zh-CN': text, en: text });
const rule = z.strictObject({ name: localized, finding: localized });
const fraction = z.number().min(0).max(1);

export const regulationSchema = z.strictObject({
  version: z.string().regex(/^[A-Za-z0-9._-]{1,40}$/, 'letters, digits, ., _ and - (at most 40)'),
  name: localized,
  issuingBody: localized,
  footageBufferMinutes: z.number().int().min(0).max(24 * 60),
  mandatoryActivityTypes: z.array(z.enum(ACTIVITY_TYPES)).min(1),
  rules: z.strictObject({
    R1: rule,
    R2: rule.extend({ minCoverage: fraction, maxGapSeconds: z.number().int().min(0).max(86_400) }),
    R3: rule.extend({ uploadDeadlineHours: z.number().positive().max(24 * 365) }),
    R4: rule,
    R5: rule,
    R6: rule,
  }),
  manualItems: z.strictObject({ M1: localized, M2: localized, M3: localized, M4: localized }),
  sampling: z.strictObject({ defaultRatio: fraction.refine((v) => v > 0 && Math.abs(v * 10_000 - Math.round(v * 10_000)) < 1e-9, 'a fraction above 0 with at most 4 decimals') }),
  bulletin: z.strictObject({
    /** Units whose pass rate is below this are named for criticism (通报批评). */
    criticizeBelowPassRate: fraction,
    rectificationDays: z.number().int().min(1).max(365),
    /** How many earlier bulletins the pass-rate trend shows. */
    trendBulletins: z.number().int().min(0).max(24),
  }),
});

export type Regulation = z.output<typeof regulationSchema>;

export class RegulationError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    message: string,
  ) {
    super(`Invalid regulation file ${file}: ${field}: ${message}`);
    this.name = 'RegulationError';
  }
}

/** Reads and validates the regulation file; the error names the file and the field at fault. */
export function loadRegulation(file: string): Regulation {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new RegulationError(file, '(file)', (err as Error).message);
  }
  const parsed = regulationSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RegulationError(file, issue.path.join('.') || '(top)', issue.message);
  }
  return parsed.data;
}
