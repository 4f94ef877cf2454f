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

/**
 * Walks the whole chain in seq order and recomputes every hash from the stored fields, as anyone holding a
 * dump could (DESIGN.md, invariant 3). Reads in batches, so memory does not grow with the log.
 */
export async function verifyChain(db: Db, batch = 5000): Promise<Verification> {
  let prevHash = GENESIS_HASH;
  let prevSeq = 0;
  let events = 0;
  for (;;) {
    const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM custody_events WHERE seq > $1 ORDER BY seq LIMIT $2`, [prevSeq, batch]);
    for (const r of rows) {
      const bad = (reason: string): Verification => ({ ok: false, events: events + 1, head: prevHash, firstBadSeq: r.seq, reason });
      if (r.seq !== prevSeq + 1) return bad(`event ${prevSeq + 1} is missing`);
      if (r.prevHash !== prevHash) return bad('its prevHash is not the hash of the event before it');
      const expected = eventHash(prevHash, { seq: r.seq, at: r.at.toISOString(), actor: r.actor, action: r.action, target: r.target, detail: r.detail });
      if (expected !== r.hash) return bad('its hash does not match its content');
      prevHash = r.hash;
      prevSeq = r.seq;
      events++;
    }
    if (rows.length < batch) return { ok: true, events, head: prevHash };
  }
}
