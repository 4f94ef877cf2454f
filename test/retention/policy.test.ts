import { addMonths, retainUntil, type RetentionPolicy } from '../../src/retention/policy';

const policy: RetentionPolicy = { zone: 'Asia/Shanghai', unlinkedMonths: 6, importantMonths: null, closedCaseMonths: null };
const at = (s: string) => new Date(s);

describe('retention dates (REGULATION.md, Retention)', () => {
  test('calendar months in the bureau zone: the local date moves, the end of a month is clamped', () => {
    // 2026-08-31 10:00 local → 2027-02-28 10:00 local (no 31 February).
    expect(addMonths(at('2026-08-31T02:00:00.000Z'), 6, 'Asia/Shanghai').toISOString()).toBe('2027-02-28T02:00:00.000Z');
    // 2026-08-30 20:00 UTC is 31 August in Shanghai (clamped to 28 February local), but 30 August in UTC.
    expect(addMonths(at('2026-08-30T20:00:00.000Z'), 6, 'Asia/Shanghai').toISOString()).toBe('2027-02-27T20:00:00.000Z');
    expect(addMonths(at('2026-08-30T20:00:00.000Z'), 6, 'UTC').toISOString()).toBe('2027-02-28T20:00:00.000Z');
    expect(addMonths(at('2026-01-15T00:00:00.000Z'), 12, 'Asia/Shanghai').toISOString()).toBe('2027-01-15T00:00:00.000Z');
  });

  test('unlinked, not important: six months after docking', () => {
    expect(retainUntil({ dockedAt: at('2026-01-10T01:00:00.000Z'), important: false, cases: [] }, policy)?.toISOString()).toBe('2026-07-10T01:00:00.000Z');
    expect(retainUntil({ dockedAt: at('2026-01-10T01:00:00.000Z'), important: false, cases: [] }, { ...policy, unlinkedMonths: 12 })?.toISOString()).toBe(
      '2027-01-10T01:00:00.000Z',
    );
  });

  test('important and unlinked: permanent by default, else its own period (never shorter than the unlinked one)', () => {
    const facts = { dockedAt: at('2026-01-10T01:00:00.000Z'), important: true, cases: [] };
    expect(retainUntil(facts, policy)).toBeNull();
    expect(retainUntil(facts, { ...policy, importantMonths: 24 })?.toISOString()).toBe('2028-01-10T01:00:00.000Z');
    expect(retainUntil(facts, { ...policy, unlinkedMonths: 36, importantMonths: 24 })?.toISOString()).toBe('2029-01-10T01:00:00.000Z');
  });

  test('linked: kept while any of its cases is open, then the closed-case period after the last one closed', () => {
    const dockedAt = at('2026-01-10T01:00:00.000Z');
    const closed = (closedAt: string) => ({ status: 'closed' as const, closedAt: at(closedAt) });
    const withPeriod = { ...policy, closedCaseMonths: 12 };
    expect(retainUntil({ dockedAt, important: false, cases: [{ status: 'open', closedAt: null }] }, withPeriod)).toBeNull();
    expect(retainUntil({ dockedAt, important: false, cases: [closed('2026-03-01T00:00:00.000Z'), { status: 'open', closedAt: null }] }, withPeriod)).toBeNull();
    expect(retainUntil({ dockedAt, important: false, cases: [closed('2026-03-01T00:00:00.000Z')] }, policy)).toBeNull();
    expect(
      retainUntil({ dockedAt, important: false, cases: [closed('2026-03-01T00:00:00.000Z'), closed('2026-05-01T00:00:00.000Z')] }, withPeriod)?.toISOString(),
    ).toBe('2027-05-01T00:00:00.000Z');
    // A case closed the day after docking with a period shorter than the unlinked one: the unlinked period still holds.
    expect(retainUntil({ dockedAt, important: false, cases: [closed('2026-01-11T00:00:00.000Z')] }, { ...policy, closedCaseMonths: 6, unlinkedMonths: 12 })?.toISOString()).toBe(
      '2027-01-10T01:00:00.000Z',
    );
    // Important footage of a closed case: the important period (permanent) wins.
    expect(retainUntil({ dockedAt, important: true, cases: [closed('2026-03-01T00:00:00.000Z')] }, withPeriod)).toBeNull();
    // A closed case with no closing time cannot start its period: kept.
    expect(retainUntil({ dockedAt, important: false, cases: [{ status: 'closed', closedAt: null }] }, withPeriod)).toBeNull();
  });
});
