// The case timeline's geometry: one lane per officer, the activities as bands and the footage as bars, all
// placed in percent of the track's width. Pure (no DOM): unit-tested in test/web/evidence-timeline.test.ts.
//
// A case's activities can be days apart while a clip lasts seconds: on one linear axis the clips would be
// invisible. So the axis is cut into segments (stretches with something in them), each given a share of the
// width that grows with its length but never falls below a floor, with a break drawn between segments.

export interface TimelineActivity {
  key: string;
  type: string;
  badgeNos: string[];
  startedAt: string;
  endedAt: string;
}

export interface TimelineRecording {
  id: string;
  badgeNo: string;
  startedAt: string;
  /** Null until probed (or when it cannot be): the recording counts as a point at its start. */
  endedAt: string | null;
  status: string;
  link?: { source: string };
}

export interface Segment {
  start: number;
  end: number;
  left: number;
  width: number;
}

export interface Band {
  key: string;
  type: string;
  left: number;
  width: number;
}

export interface Bar {
  id: string;
  left: number;
  width: number;
  /** Which row of its lane: footage of one officer that overlaps (two recorders) is stacked. */
  row: number;
  status: string;
  source: string | null;
  startedAt: string;
  endedAt: string | null;
}

export interface Lane {
  badgeNo: string;
  rows: number;
  bands: Band[];
  bars: Bar[];
}

export interface Tick {
  at: number;
  left: number;
}

export interface TimelineLayout {
  segments: Segment[];
  lanes: Lane[];
  ticks: Tick[];
}

const MINUTE = 60_000;
/** Space around everything: the regulation's matching buffer, so footage just outside an activity shows why it matched. */
export const PAD_MS = 5 * MINUTE;
/** Stretches further apart than this become separate segments. */
export const GAP_MS = 60 * MINUTE;
/** Percent of the width between two segments (the break). */
export const BREAK = 2;
/** The smallest share of the width a segment gets, whatever its length. */
const MIN_SHARE = 0.15;
/** The narrowest bar, in percent: a short clip on a long day must stay visible and clickable. */
export const MIN_BAR = 0.6;
/** Steps between ticks, in minutes, the finest first. */
const TICK_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];
/** About one tick per this many percent of the width. */
const TICK_SPACING = 9;

const ms = (iso: string) => new Date(iso).getTime();

function mergeSpans(spans: [number, number][]): [number, number][] {
  const sorted = spans.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b)).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a - PAD_MS <= last[1] + PAD_MS + GAP_MS) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out.map(([a, b]) => [a - PAD_MS, b + PAD_MS]);
}

function placeSegments(spans: [number, number][]): Segment[] {
  const total = spans.reduce((s, [a, b]) => s + (b - a), 0);
  const shares = spans.map(([a, b]) => Math.max((b - a) / total, MIN_SHARE));
  const sum = shares.reduce((s, v) => s + v, 0);
  const room = 100 - BREAK * (spans.length - 1);
  let left = 0;
  return spans.map(([start, end], i) => {
    const width = (shares[i]! / sum) * room;
    const seg = { start, end, left, width };
    left += width + BREAK;
    return seg;
  });
}

/** Where an instant sits, in percent of the width (clamped into the segment it belongs to or is nearest). */
export function positionOf(segments: Segment[], at: number): number {
  const seg = segments.find((s) => at <= s.end) ?? segments[segments.length - 1];
  if (!seg) return 0;
  const f = Math.min(1, Math.max(0, (at - seg.start) / (seg.end - seg.start)));
  return seg.left + f * seg.width;
}

function span(segments: Segment[], start: number, end: number, min: number): { left: number; width: number } {
  const left = positionOf(segments, start);
  const width = Math.max(positionOf(segments, end) - left, min);
  // A minimum-width bar at the right edge is moved in rather than drawn past it.
  return { left: Math.min(left, 100 - width), width };
}

function ticksOf(segments: Segment[]): Tick[] {
  const out: Tick[] = [];
  for (const seg of segments) {
    const wanted = Math.max(1, Math.floor(seg.width / TICK_SPACING));
    const minutes = (seg.end - seg.start) / MINUTE;
    const step = (TICK_STEPS.find((s) => minutes / s <= wanted) ?? TICK_STEPS[TICK_STEPS.length - 1]!) * MINUTE;
    for (let at = Math.ceil(seg.start / step) * step; at <= seg.end; at += step) out.push({ at, left: positionOf(segments, at) });
  }
  return out;
}

/** Stacks bars into rows so that none overlaps another in its row (greedy, in order of start). */
function stack(bars: Omit<Bar, 'row'>[]): { bars: Bar[]; rows: number } {
  const rowEnds: number[] = [];
  const placed = [...bars]
    .sort((a, b) => a.left - b.left)
    .map((bar) => {
      let row = rowEnds.findIndex((end) => end <= bar.left);
      if (row < 0) row = rowEnds.push(0) - 1;
      rowEnds[row] = bar.left + bar.width;
      return { ...bar, row };
    });
  return { bars: placed, rows: Math.max(1, rowEnds.length) };
}

export function timelineLayout(activities: TimelineActivity[], recordings: TimelineRecording[]): TimelineLayout {
  const recSpan = (r: TimelineRecording): [number, number] => [ms(r.startedAt), ms(r.endedAt ?? r.startedAt)];
  const spans: [number, number][] = [...activities.map((a): [number, number] => [ms(a.startedAt), ms(a.endedAt)]), ...recordings.map(recSpan)];
  const segments = placeSegments(mergeSpans(spans));
  if (!segments.length) return { segments, lanes: [], ticks: [] };

  const badges = [...new Set([...activities.flatMap((a) => a.badgeNos), ...recordings.map((r) => r.badgeNo)])].sort();
  const lanes = badges.map((badgeNo): Lane => {
    const bands = activities
      .filter((a) => a.badgeNos.includes(badgeNo))
      .map((a) => ({ key: a.key, type: a.type, ...span(segments, ms(a.startedAt), ms(a.endedAt), 0.3) }));
    const { bars, rows } = stack(
      recordings
        .filter((r) => r.badgeNo === badgeNo)
        .map((r) => {
          const [a, b] = recSpan(r);
          return { id: r.id, status: r.status, source: r.link?.source ?? null, startedAt: r.startedAt, endedAt: r.endedAt, ...span(segments, a, b, MIN_BAR) };
        }),
    );
    return { badgeNo, rows, bands, bars };
  });
  return { segments, lanes, ticks: ticksOf(segments) };
}
