import type { Db } from '../db/pool';
import { GENESIS_HASH } from '../custody/chain';
import { verifyChainStretch, type ChainPoint } from '../custody/read';

export interface CustodyStatus {
  /** False once an event was found whose link does not hold (until a later full pass finds the chain whole). */
  ok: boolean;
  /** When the walk last reached the head of the log with every event up to it verified; null before the first time. */
  verifiedAt: Date | null;
  /** The last event verified. */
  verifiedSeq: number;
  /** The first event found broken, while `ok` is false. */
  badSeq: number | null;
}

/**
 * Verifies the custody chain a bounded stretch at a time, so /metrics can report its state without walking a
 * million events per scrape. Each call goes on from where the last one stopped: new events are checked as
 * they come (they must link to the last verified hash), and once a day (`repassMs`) the walk starts again
 * from the first event, so a change to an old event is found within a day and a pass. The same rule as
 * GET /api/custody/verify (DESIGN.md, invariant 3), one stretch at a time.
 */
export class CustodyWatch {
  // The walk: the last event verified in this pass, and its hash.
  private last: ChainPoint = { seq: 0, hash: GENESIS_HASH };
  private passStartedAt: number;
  private reachedHead = false;
  /** The first broken event of this pass: the pass stops there. */
  private brokenAt: number | null = null;
  private status: CustodyStatus = { ok: true, verifiedAt: null, verifiedSeq: 0, badSeq: null };
  private running: Promise<CustodyStatus> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly db: Db,
    private readonly opts: { maxEventsPerStep: number; repassMs: number; now?: () => number } = { maxEventsPerStep: 10_000, repassMs: 24 * 3600_000 },
  ) {
    this.now = opts.now ?? Date.now;
    this.passStartedAt = this.now();
  }

  /** Verifies up to maxEventsPerStep more events and returns the state; concurrent callers share one step. */
  step(): Promise<CustodyStatus> {
    this.running ??= this.walk().finally(() => (this.running = undefined));
    return this.running;
  }

  private async walk(): Promise<CustodyStatus> {
    const now = this.now();
    if ((this.reachedHead || this.brokenAt !== null) && now - this.passStartedAt >= this.opts.repassMs) {
      this.last = { seq: 0, hash: GENESIS_HASH };
      this.reachedHead = false;
      this.brokenAt = null;
      this.passStartedAt = now;
    }
    if (this.brokenAt !== null) return this.status;
    const stretch = await verifyChainStretch(this.db, this.last, this.opts.maxEventsPerStep, 2000);
    this.last = stretch.last;
    if (!stretch.ok) {
      this.brokenAt = stretch.firstBadSeq!;
      this.status = { ...this.status, ok: false, badSeq: this.brokenAt };
    } else if (stretch.reachedEnd) {
      this.reachedHead = true;
      this.status = { ok: true, verifiedAt: new Date(now), verifiedSeq: this.last.seq, badSeq: null };
    }
    return this.status;
  }
}
