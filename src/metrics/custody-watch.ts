import type { Db } from '../db/pool';
import { eventHash, GENESIS_HASH } from '../custody/chain';

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

interface Row {
  seq: number;
  at: Date;
  actor: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
  prevHash: string;
  hash: string;
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
  private seq = 0;
  private hash = GENESIS_HASH;
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
      this.seq = 0;
      this.hash = GENESIS_HASH;
      this.reachedHead = false;
      this.brokenAt = null;
      this.passStartedAt = now;
    }
    if (this.brokenAt !== null) return this.status;
    let left = this.opts.maxEventsPerStep;
    while (left > 0) {
      const asked = Math.min(left, 2000);
      const { rows } = await this.db.query<Row>(
        `SELECT seq, at, actor, action, target, detail, prev_hash AS "prevHash", hash FROM custody_events WHERE seq > $1 ORDER BY seq LIMIT $2`,
        [this.seq, asked],
      );
      for (const r of rows) {
        const expected = eventHash(this.hash, { seq: r.seq, at: r.at.toISOString(), actor: r.actor, action: r.action, target: r.target, detail: r.detail });
        if (r.seq !== this.seq + 1 || r.prevHash !== this.hash || expected !== r.hash) {
          // A missing event is reported by the number that is missing, as verifyChain does.
          this.brokenAt = this.seq + 1;
          this.status = { ...this.status, ok: false, badSeq: this.brokenAt };
          return this.status;
        }
        this.seq = r.seq;
        this.hash = r.hash;
      }
      left -= rows.length;
      if (rows.length < asked) {
        this.reachedHead = true;
        this.status = { ok: true, verifiedAt: new Date(now), verifiedSeq: this.seq, badSeq: null };
        return this.status;
      }
    }
    return this.status;
  }
}
