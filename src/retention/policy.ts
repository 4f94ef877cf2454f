import { DateTime } from 'luxon';

/** REGULATION.md, Retention, as settings: periods in calendar months of the bureau's zone; null = permanent. */
export interface RetentionPolicy {
  zone: string;
  unlinkedMonths: number;
  importantMonths: number | null;
  closedCaseMonths: number | null;
}

/** What a recording's retention depends on. */
export interface RetentionFacts {
  dockedAt: Date;
  important: boolean;
  /** The cases it is linked to. */
  cases: { status: 'open' | 'closed'; closedAt: Date | null }[];
}

/** Calendar months in the bureau's zone: docked 31 August, six months on is 28 (or 29) February. */
export function addMonths(at: Date, months: number, zone: string): Date {
  return DateTime.fromJSDate(at, { zone }).plus({ months }).toJSDate();
}

/**
 * Until when a recording must be kept (null: permanently). Every rule that applies keeps it at least as
 * long as it says, so the longest wins: unlinked footage goes after its months from docking; important
 * footage is kept for its own period; footage of a case stays while the case is open and for the closed-
 * case period after it closes. A legal hold is not a date: it stops the deletion itself, not this.
 */
export function retainUntil(facts: RetentionFacts, policy: RetentionPolicy): Date | null {
  const until: (Date | null)[] = [addMonths(facts.dockedAt, policy.unlinkedMonths, policy.zone)];
  if (facts.important) until.push(policy.importantMonths === null ? null : addMonths(facts.dockedAt, policy.importantMonths, policy.zone));
  for (const c of facts.cases) {
    // A closed case without a closing time cannot start its period: kept, which is the safe side.
    if (c.status === 'open' || c.closedAt === null || policy.closedCaseMonths === null) until.push(null);
    else until.push(addMonths(c.closedAt, policy.closedCaseMonths, policy.zone));
  }
  if (until.includes(null)) return null;
  return new Date(Math.max(...until.map((d) => d!.getTime())));
}
