import { auditShare } from '../../src/integrity/share';

test('the share: ceil(live ÷ cycleDays), at least 1 when any original exists, none when none does', () => {
  const s = { cycleDays: 90, batch: 2000 };
  expect(auditShare({ live: 0, due: 0, doneInWindow: 0 }, s)).toEqual({ perRun: 0, needed: 0, limit: 0, capped: false });
  expect(auditShare({ live: 1, due: 0, doneInWindow: 0 }, s)).toMatchObject({ perRun: 1, limit: 1 });
  expect(auditShare({ live: 90, due: 0, doneInWindow: 0 }, s)).toMatchObject({ perRun: 1, limit: 1 });
  expect(auditShare({ live: 91, due: 0, doneInWindow: 0 }, s)).toMatchObject({ perRun: 2, limit: 2 });
  expect(auditShare({ live: 100_000, due: 0, doneInWindow: 0 }, s)).toMatchObject({ perRun: 1112, limit: 1112, capped: false });
});

test('every due recording is taken when more are due than the share; a re-run counts what the window already did', () => {
  const s = { cycleDays: 10, batch: 2000 };
  expect(auditShare({ live: 100, due: 35, doneInWindow: 0 }, s)).toMatchObject({ perRun: 10, needed: 35, limit: 35 });
  // The day's 10 done: a second run the same day has nothing left of the share and nothing due.
  expect(auditShare({ live: 100, due: 0, doneInWindow: 10 }, s)).toMatchObject({ needed: 0, limit: 0 });
  // A first attempt that stopped after 4: its retry does the other 6.
  expect(auditShare({ live: 100, due: 0, doneInWindow: 4 }, s)).toMatchObject({ needed: 6, limit: 6 });
  // More done than the share (an export checked many): never negative.
  expect(auditShare({ live: 100, due: 0, doneInWindow: 50 }, s)).toMatchObject({ needed: 0, limit: 0 });
});

test('INTEGRITY_AUDIT_BATCH caps the run, and says the cycle cannot be kept', () => {
  expect(auditShare({ live: 100_000, due: 0, doneInWindow: 0 }, { cycleDays: 30, batch: 2000 })).toEqual({ perRun: 3334, needed: 3334, limit: 2000, capped: true });
  expect(auditShare({ live: 100, due: 60, doneInWindow: 0 }, { cycleDays: 90, batch: 50 })).toMatchObject({ needed: 60, limit: 50, capped: true });
  expect(auditShare({ live: 100, due: 50, doneInWindow: 0 }, { cycleDays: 90, batch: 50 })).toMatchObject({ limit: 50, capped: false });
});

// The arithmetic with the selection the SQL makes (runs once a day, never audited first, then failed, then the
// longest unaudited; due as run.ts counts it), over simulated days: every original is re-hashed within the
// cycle, a day's work stays near the share, and a run after days without one catches up at once.
interface Rec {
  ingest: number;
  last: number | null;
}

function simulate(o: { cycleDays: number; days: number; ingest: (day: number) => number; skip?: (day: number) => boolean; batch?: number }) {
  const recs: Rec[] = [];
  // The longest time between two checks of one original, by the day of the second.
  const gaps: number[] = [];
  const perDay: number[] = [];
  for (let day = 0; day < o.days; day++) {
    for (let i = o.ingest(day); i > 0; i--) recs.push({ ingest: day, last: null });
    gaps.push(0);
    if (o.skip?.(day)) {
      perDay.push(0);
      continue;
    }
    // Runs are a day apart: the window (12 h) holds nothing from yesterday; due = never audited or the cycle
    // ends before tomorrow's run (last < day − cycleDays + ½).
    const due = recs.filter((r) => r.last === null || r.last < day - o.cycleDays + 0.5).length;
    const { limit } = auditShare({ live: recs.length, due, doneInWindow: 0 }, { cycleDays: o.cycleDays, batch: o.batch ?? 1e9 });
    const order = [...recs].sort((a, b) => (a.last === null ? -1 : 0) - (b.last === null ? -1 : 0) || (a.last ?? a.ingest) - (b.last ?? b.ingest));
    for (const r of order.slice(0, limit)) {
      gaps[day] = Math.max(gaps[day]!, day - (r.last ?? day));
      r.last = day;
    }
    perDay.push(limit);
    // After every run: nothing has gone a whole cycle without a check.
    for (const r of recs) if (day - (r.last ?? r.ingest) >= o.cycleDays) throw new Error(`day ${day}: a recording last checked on day ${r.last} is out of its cycle`);
  }
  return { worstGap: Math.max(...gaps), gaps, perDay, live: recs.length };
}

test('simulated: a steady flow of footage, each original re-hashed every ≤ cycleDays, the daily work flat', () => {
  const r = simulate({ cycleDays: 30, days: 200, ingest: () => 37 });
  expect(r.worstGap).toBeLessThanOrEqual(30);
  expect(r.worstGap).toBeGreaterThan(20); // a rotation, not a re-hash of everything every few days
  // From the second cycle on a run does its share: the live count over the cycle, rounded up (+ the day's new).
  const late = r.perDay.slice(60);
  expect(Math.max(...late)).toBeLessThanOrEqual(Math.ceil(r.live / 30) + 37);
});

test('simulated: a catalog docked at once (a migration) is spread over the cycle, not audited in a day', () => {
  const r = simulate({ cycleDays: 90, days: 400, ingest: (d) => (d === 0 ? 9000 : 0) });
  // The first run checks everything never audited (it is due); after that, 100 a day (9000 ÷ 90).
  expect(r.perDay[0]).toBe(9000);
  expect(new Set(r.perDay.slice(1))).toEqual(new Set([100]));
  expect(r.worstGap).toBe(90);
});

test('simulated: runs missed for days (worker down) are caught up by the next run, which brings all back within the cycle', () => {
  const r = simulate({ cycleDays: 20, days: 120, ingest: () => 10, skip: (d) => d >= 50 && d < 55 });
  expect(r.perDay[55]).toBeGreaterThan(r.perDay[49]!);
  // The originals whose cycle ended during the outage wait until the run after it, and no longer.
  expect(Math.max(...r.gaps.slice(55, 56))).toBeGreaterThan(20);
  expect(Math.max(...r.gaps.slice(55, 56))).toBeLessThanOrEqual(25);
  expect(Math.max(...r.gaps.slice(0, 55), ...r.gaps.slice(56))).toBeLessThanOrEqual(20);
});

test('simulated: a batch below the share cannot keep the cycle (which is why the run warns)', () => {
  expect(() => simulate({ cycleDays: 10, days: 60, ingest: () => 20, batch: 15 })).toThrow(/out of its cycle/);
});
