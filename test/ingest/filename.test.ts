import { filenameProblem, parseRecorderFileName } from '../../src/ingest/filename';

const TZ = 'Asia/Shanghai';
const at = (iso: string) => new Date(iso);

describe('parseRecorderFileName', () => {
  test.each([
    ['DSJ0001_100001_20260301083000_0001.MP4', { recorderSerial: 'DSJ0001', badgeNo: '100001', startedAt: at('2026-03-01T00:30:00Z'), seq: 1, important: false }],
    ['DSJ0001_100001_20260301083000_0012_IMP.MP4', { recorderSerial: 'DSJ0001', badgeNo: '100001', seq: 12, important: true }],
    ['DSJ0001-100001-20260301083000-0001.mp4', { recorderSerial: 'DSJ0001', badgeNo: '100001', startedAt: at('2026-03-01T00:30:00Z'), seq: 1 }],
    ['DSJ0001_100001_20260301_083000_0003.MP4', { recorderSerial: 'DSJ0001', badgeNo: '100001', startedAt: at('2026-03-01T00:30:00Z'), seq: 3 }],
    ['DSJ0001_100001_20260301T083000_0003.avi', { recorderSerial: 'DSJ0001', badgeNo: '100001', startedAt: at('2026-03-01T00:30:00Z'), seq: 3 }],
    ['20260301083000_DSJ0001_100001_0004.MP4', { recorderSerial: 'DSJ0001', badgeNo: '100001', startedAt: at('2026-03-01T00:30:00Z'), seq: 4 }],
    ['IMP_DSJ0001_100001_20260301083000_0001.MP4', { recorderSerial: 'DSJ0001', badgeNo: '100001', important: true }],
  ])('%s', (name, expected) => {
    expect(parseRecorderFileName(name, TZ)).toMatchObject(expected);
  });

  test('camera-style names and time-first names with only a segment number name no device', () => {
    expect(parseRecorderFileName('VID_20260301_083000.mp4', TZ)).toEqual({ important: false, startedAt: at('2026-03-01T00:30:00Z') });
    expect(parseRecorderFileName('20260301083000_0001.MP4', TZ)).toEqual({ important: false, startedAt: at('2026-03-01T00:30:00Z'), seq: 1 });
  });

  test('names that say nothing give nothing, and impossible times are not guessed', () => {
    expect(parseRecorderFileName('movie.mp4', TZ)).toEqual({ important: false });
    expect(parseRecorderFileName('DSJ0001_100001_20260231253000_0001.MP4', TZ).startedAt).toBeUndefined();
  });

  test('the bureau zone decides what a local time means', () => {
    expect(parseRecorderFileName('DSJ0001_100001_20260301083000_0001.MP4', 'Asia/Urumqi').startedAt).toEqual(at('2026-03-01T02:30:00Z'));
  });
});

describe('filenameProblem', () => {
  test.each([
    ['../x.MP4', /path/],
    ['a/b.MP4', /path/],
    ['a\\b.MP4', /path/],
    ['..', /path/],
    ['a\u0007b.MP4', /control/],
    ['a\u202eb.MP4', /control/],
    ['   ', /no name/],
    ['', /no name/],
    [`${'A'.repeat(252)}.MP4`, /longer/],
  ])('%j is refused', (name, why) => {
    expect(filenameProblem(name)).toMatch(why);
  });
  test.each(['DSJ0001_100001_20260301083000_0001.MP4', '执法记录_张三.MP4', `${'A'.repeat(251)}.MP4`])('%j is accepted', (name) => {
    expect(filenameProblem(name)).toBeNull();
  });
});
