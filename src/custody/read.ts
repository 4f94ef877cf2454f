import type { Db } from '../db/pool';
import { eventHash, GENESIS_HASH } from './chain';
import type { CustodyEvent } from './log';

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

const COLUMNS = `seq, at, actor, action, target, detail, prev_hash AS "prevHash", hash`;
const toEvent = (r: Row): CustodyEvent => ({ ...r, at: r.at.toISOString() });

/**
 * Events about one target (`recording:<id>`, …) or any of several (`targets`: a case and its footage), oldest
 * first, after `afterSeq`; at most `limit` of them (all when it is absent: only for bounded sets such as a case's).
 */
export async function listCustody(
  db: Db,
  filter: { target?: string; targets?: string[]; afterSeq?: number; limit?: number },
): Promise<CustodyEvent[]> {
  const targets = filter.targets ?? (filter.target === undefined ? null : [filter.target]);
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM custody_events
      WHERE ($1::text[] IS NULL OR target = ANY($1)) AND seq > $2
      ORDER BY seq LIMIT $3`,
    [targets, filter.afterSeq ?? 0, filter.limit ?? null],
  );
  return rows.map(toEvent);
}

export interface Verification {
  ok: boolean;
  events: number;
  /** The hash of the last event (64 zeros for an empty log): what exports and bulletins print. */
  head: string;
  /** The first event whose link to the one before does not hold: altered, inserted or after a gap. */
  firstBadSeq?: number;
  reason?: string;
}

/** Where a walk of the chain stands: the last event verified and its hash (seq 0 and 64 zeros before the first). */
export interface ChainPoint {
  seq: number;
  hash: string;
}

export interface ChainStretch extends Verification {
  /** The last event verified. */
  last: ChainPoint;
  /** The walk reached the newest event (rather than stopping at `maxEvents` or a broken link). */
  reachedEnd: boolean;
}

/**
 * Verifies the chain after `from` for at most `maxEvents` events, recomputing every hash from the stored fields
 * as anyone holding a dump could (DESIGN.md, invariant 3). Reads in batches, so memory does not grow with the
 * log; a walk can go on later from the `last` point it returns.
 */
export async function verifyChainStretch(db: Db, from: ChainPoint = { seq: 0, hash: GENESIS_HASH }, maxEvents = Infinity, batch = 5000): Promise<ChainStretch> {
  let { seq: prevSeq, hash: prevHash } = from;
  let events = 0;
  for (;;) {
    const asked = Math.min(batch, maxEvents - events);
    if (asked <= 0) return { ok: true, events, head: prevHash, last: { seq: prevSeq, hash: prevHash }, reachedEnd: false };
    const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM custody_events WHERE seq > $1 ORDER BY seq LIMIT $2`, [prevSeq, asked]);
    for (const r of rows) {
      const bad = (reason: string): ChainStretch => ({
        ok: false,
        events: events + 1,
        head: prevHash,
        firstBadSeq: r.seq,
        reason,
        last: { seq: prevSeq, hash: prevHash },
        reachedEnd: false,
      });
      if (r.seq !== prevSeq + 1) return bad(`event ${prevSeq + 1} is missing`);
      if (r.prevHash !== prevHash) return bad('its prevHash is not the hash of the event before it');
      const expected = eventHash(prevHash, { seq: r.seq, at: r.at.toISOString(), actor: r.actor, action: r.action, target: r.target, detail: r.detail });
      if (expected !== r.hash) return bad('its hash does not match its content');
      prevHash = r.hash;
      prevSeq = r.seq;
      events++;
    }
    if (rows.length < asked) return { ok: true, events, head: prevHash, last: { seq: prevSeq, hash: prevHash }, reachedEnd: true };
  }
}

/** Walks the whole chain in seq order (GET /api/custody/verify, `custody verify`). */
export async function verifyChain(db: Db, batch = 5000): Promise<Verification> {
  const { last: _last, reachedEnd: _end, ...verification } = await verifyChainStretch(db, undefined, Infinity, batch);
  return verification;
}
