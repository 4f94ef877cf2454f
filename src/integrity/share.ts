// How much one integrity-audit run re-hashes (pure arithmetic; the counts come from the catalog).
//
// Every stored original is to be re-hashed at least once in INTEGRITY_AUDIT_CYCLE_DAYS days, by daily runs
// that each take a share. A run re-hashes the longest unaudited recordings first (never audited before
// all others), so with a share of ceil(live ÷ cycleDays) a day the runs go round the whole catalog within
// the cycle. Two things break that plain rotation, and the share covers both:
// - a day without a run (worker down, store unreachable): the rotation would stay that many days behind
//   for good, so a run also takes every recording due (never audited, its latest check failed, or its cycle
//   ends before the next daily run), which brings everything back within the cycle the next time it runs;
// - a second run the same day (a retry of a failed attempt, a re-run by hand): the day's share is what is
//   left of it after the recordings audited within the run window, so it goes on where the first stopped
//   and does not audit tomorrow's share today.

export interface ShareCounts {
  /** Stored originals: recordings that are not tombstones. */
  live: number;
  /**
   * Of them, never audited, whose latest check failed (re-checked every run until one passes), or whose cycle
   * ends before the next daily run; none audited within the run window.
   */
  due: number;
  /** Of them, audited within the run window: this day's work already done. */
  doneInWindow: number;
}

export interface Share {
  /** ceil(live ÷ cycleDays), at least 1 when there is any original: the rotation's daily share. */
  perRun: number;
  /** What this run should re-hash to keep the cycle: the rest of the share, or every due recording when more. */
  needed: number;
  /** What it re-hashes: `needed`, at most INTEGRITY_AUDIT_BATCH. */
  limit: number;
  /** The batch is below `needed`: the cycle cannot be kept (the run warns). */
  capped: boolean;
}

export function auditShare(counts: ShareCounts, settings: { cycleDays: number; batch: number }): Share {
  const perRun = counts.live > 0 ? Math.ceil(counts.live / settings.cycleDays) : 0;
  const needed = Math.max(perRun - counts.doneInWindow, counts.due, 0);
  return { perRun, needed, limit: Math.min(needed, settings.batch), capped: needed > settings.batch };
}
