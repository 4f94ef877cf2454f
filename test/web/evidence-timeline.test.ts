import { BREAK, MIN_BAR, PAD_MS, positionOf, timelineLayout, type TimelineActivity, type TimelineRecording } from '../../src/web/client/evidence-timeline-layout';
import { candidateQueries, detailText, isRecordingId, linkCandidates, reasonProblem, selectedRecording, shortHash } from '../../src/web/client/evidence-format';

// The case timeline's geometry and the evidence pages' small rules, without a browser.

const activity = (key: string, from: string, to: string, badgeNos = ['100001', '100002']): TimelineActivity => ({
  key,
  type: 'inspection',
  badgeNos,
  startedAt: `${from}+08:00`,
  endedAt: `${to}+08:00`,
});
const recording = (id: string, badgeNo: string, from: string, to: string | null, source = 'auto'): TimelineRecording => ({
  id,
  badgeNo,
  startedAt: `${from}+08:00`,
  endedAt: to ? `${to}+08:00` : null,
  status: 'ready',
  link: { source },
});
const ms = (s: string) => new Date(`${s}+08:00`).getTime();

describe('the case timeline', () => {
  // The browser tests' case: one 20-minute inspection, an 8 s clip of each officer.
  const a1 = activity('A1', '2026-02-03T10:00:00', '2026-02-03T10:20:00');
  const first = recording('r1', '100001', '2026-02-03T10:01:00', '2026-02-03T10:01:08');
  const second = recording('r2', '100002', '2026-02-03T10:05:00', '2026-02-03T10:05:08', 'manual');

  test('one lane per officer, in badge order, each with its activity band and its footage', () => {
    const layout = timelineLayout([a1], [second, first]);
    expect(layout.lanes.map((l) => l.badgeNo)).toEqual(['100001', '100002']);
    expect(layout.lanes[0]!.bars.map((b) => b.id)).toEqual(['r1']);
    expect(layout.lanes[1]!.bars.map((b) => [b.id, b.source])).toEqual([['r2', 'manual']]);
    expect(layout.lanes.every((l) => l.bands.length === 1 && l.bands[0]!.key === 'A1')).toBe(true);
  });

  test('one segment padded by the matching buffer; the activity band sits inside it in proportion', () => {
    const layout = timelineLayout([a1], [first, second]);
    expect(layout.segments).toEqual([{ start: ms('2026-02-03T10:00:00') - PAD_MS, end: ms('2026-02-03T10:20:00') + PAD_MS, left: 0, width: 100 }]);
    const band = layout.lanes[0]!.bands[0]!;
    expect(band.left).toBeCloseTo((5 / 30) * 100);
    expect(band.width).toBeCloseTo((20 / 30) * 100);
  });

  test('a clip of seconds is still a bar wide enough to click', () => {
    const bar = timelineLayout([a1], [first]).lanes[0]!.bars[0]!;
    expect(bar.width).toBe(MIN_BAR);
    expect(bar.left).toBeCloseTo((6 / 30) * 100);
  });

  test('footage without a known end is a point at its start', () => {
    const open = recording('r3', '100001', '2026-02-03T10:10:00', null);
    const bar = timelineLayout([a1], [open]).lanes[0]!.bars[0]!;
    expect(bar.left).toBeCloseTo(50);
    expect(bar.width).toBe(MIN_BAR);
  });

  test('overlapping footage of one officer (two recorders) is stacked in rows', () => {
    const a = recording('a', '100001', '2026-02-03T10:02:00', '2026-02-03T10:10:00');
    const b = recording('b', '100001', '2026-02-03T10:05:00', '2026-02-03T10:12:00');
    const c = recording('c', '100001', '2026-02-03T10:15:00', '2026-02-03T10:16:00');
    const lane = timelineLayout([a1], [a, b, c]).lanes[0]!;
    expect(lane.rows).toBe(2);
    expect(Object.fromEntries(lane.bars.map((bar) => [bar.id, bar.row]))).toEqual({ a: 0, b: 1, c: 0 });
  });

  test('activities days apart are separate segments with a break between, each visible', () => {
    const later = activity('A2', '2026-02-10T09:00:00', '2026-02-10T09:30:00');
    const layout = timelineLayout([a1, later], [first]);
    expect(layout.segments).toHaveLength(2);
    const [s1, s2] = layout.segments;
    expect(s2!.left).toBeCloseTo(s1!.width + BREAK);
    expect(s2!.left + s2!.width).toBeCloseTo(100);
    // Both get a fair share, not one squeezed to nothing by a week of nothing.
    expect(s1!.width).toBeGreaterThan(30);
    expect(positionOf(layout.segments, ms('2026-02-10T09:00:00'))).toBeGreaterThan(s2!.left);
    expect(layout.lanes[0]!.bands.map((b) => b.key)).toEqual(['A1', 'A2']);
  });

  test('ticks fall inside their segment at round minutes, in order', () => {
    const { ticks, segments } = timelineLayout([a1], [first]);
    expect(ticks.length).toBeGreaterThan(2);
    for (const tick of ticks) {
      expect(tick.at % 60_000).toBe(0);
      expect(tick.at).toBeGreaterThanOrEqual(segments[0]!.start);
      expect(tick.at).toBeLessThanOrEqual(segments[0]!.end);
    }
    expect(ticks.map((t) => t.left)).toEqual([...ticks.map((t) => t.left)].sort((x, y) => x - y));
  });

  test('a bar at the right edge is moved in, not drawn past it', () => {
    const atEnd = recording('e', '100001', '2026-02-03T10:25:00', '2026-02-03T10:25:01');
    const bar = timelineLayout([a1], [atEnd]).lanes[0]!.bars[0]!;
    expect(bar.left + bar.width).toBeLessThanOrEqual(100);
  });

  test('nothing to place, nothing drawn', () => {
    expect(timelineLayout([], [])).toEqual({ segments: [], lanes: [], ticks: [] });
  });
});

describe('evidence rules of the pages', () => {
  test('custody details read as key: value, lists joined, empties left out', () => {
    expect(detailText({ caseNo: '某交执罚〔2026〕208号', reason: 'wrong case', source: 'manual' })).toBe('caseNo: 某交执罚〔2026〕208号 · reason: wrong case · source: manual');
    expect(detailText({ cases: ['A', 'B'], note: null, size: 12 })).toBe('cases: A, B · size: 12');
    expect(detailText({ nested: { a: 1 } })).toBe('nested: {"a":1}');
    expect(detailText(null)).toBe('');
  });

  test('hashes are shortened for the table', () => {
    expect(shortHash('a'.repeat(64))).toBe(`${'a'.repeat(10)}…`);
    expect(shortHash('abc')).toBe('abc');
  });

  test('a reason is required, and not longer than the API takes', () => {
    expect(reasonProblem('  ')).toBe('required');
    expect(reasonProblem('x'.repeat(501))).toBe('tooLong');
    expect(reasonProblem(' wrong officer ')).toBeNull();
  });

  test('a pasted recording id must be a UUID', () => {
    expect(isRecordingId(' 3f2b8c1e-0a4d-4c3e-9b7a-2d1e5f6a7b8c ')).toBe(true);
    expect(isRecordingId('DSJ0001_20260203_100100_0001.MP4')).toBe(false);
  });

  test('link candidates: each officer over each activity’s days, once', () => {
    const day = (iso: string) => iso.slice(0, 10);
    const acts = [
      { badgeNos: ['1', '2'], startedAt: '2026-02-03T10:00', endedAt: '2026-02-03T11:00' },
      { badgeNos: ['1'], startedAt: '2026-02-03T14:00', endedAt: '2026-02-03T15:00' },
      { badgeNos: ['1'], startedAt: '2026-02-04T23:00', endedAt: '2026-02-05T01:00' },
    ];
    expect(candidateQueries(acts, day)).toEqual([
      { badgeNo: '1', from: '2026-02-03', to: '2026-02-03' },
      { badgeNo: '2', from: '2026-02-03', to: '2026-02-03' },
      { badgeNo: '1', from: '2026-02-04', to: '2026-02-05' },
    ]);
  });

  test('footage already linked or deleted is not offered, and each is offered once in time order', () => {
    const r = (id: string, startedAt: string, status = 'ready') => ({ id, startedAt, status });
    const found = [r('b', '2026-02-03T10:05'), r('a', '2026-02-03T10:01'), r('b', '2026-02-03T10:05'), r('c', '2026-02-03T15:00', 'deleted'), r('d', '2026-02-03T09:00')];
    expect(linkCandidates(found, new Set(['d'])).map((x) => x.id)).toEqual(['a', 'b']);
  });

  test('the case page plays the recording its address names, else the first linked one', () => {
    const id = '3f2b8c1e-0a4d-4c3e-9b7a-2d1e5f6a7b8c';
    expect(selectedRecording(null, [{ id: 'first' }, { id: 'second' }])).toBe('first');
    expect(selectedRecording(id, [{ id: 'first' }])).toBe(id);
    expect(selectedRecording('not-an-id', [{ id: 'first' }])).toBe('first');
    expect(selectedRecording(null, [])).toBeNull();
  });
});
