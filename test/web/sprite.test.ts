import { spriteLayout } from '../../src/media/thumbnails';
import type { MediaInfo } from '../../src/media/probe';
import { fitScale, fractionAlong, previewCentre, spriteTile, spriteTileIndex, timeAtFraction, type SpriteGeometry } from '../../src/web/client/sprite';

// The scrub preview shows the tile the pipeline made for a moment. The geometry here is what the server
// computes (src/media/thumbnails.ts spriteLayout) for real footage, so a change of the sheet's layout shows here.

const info = (durationS: number, width = 1920, height = 1080): MediaInfo => ({
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  durationS,
  bitRate: null,
  creationTime: null,
  video: { codec: 'h264', profile: null, pixFmt: 'yuv420p', width, height, frameRate: 30, variableFrameRate: false, rotation: 0, bitRate: null },
  audio: null,
});

const geometryOf = (m: MediaInfo): SpriteGeometry => {
  const { times: _t, ...g } = spriteLayout(m)!;
  return g;
};

describe('which tile stands for a moment', () => {
  // 10 minutes: 60 tiles of 10 s in 6 rows of 10, 160x90 each.
  const tenMinutes = geometryOf(info(600));

  test('the server lays out ten minutes as 60 tiles of 10 s', () => {
    expect(tenMinutes).toEqual({ count: 60, columns: 10, rows: 6, intervalS: 10, tileWidth: 160, tileHeight: 90 });
  });

  test('tile i covers [i × interval, (i + 1) × interval)', () => {
    expect(spriteTileIndex(tenMinutes, 0)).toBe(0);
    expect(spriteTileIndex(tenMinutes, 9.999)).toBe(0);
    expect(spriteTileIndex(tenMinutes, 10)).toBe(1);
    expect(spriteTileIndex(tenMinutes, 125)).toBe(12);
  });

  test('before the start and at or past the end the first and last tiles stand in', () => {
    expect(spriteTileIndex(tenMinutes, -3)).toBe(0);
    expect(spriteTileIndex(tenMinutes, 600)).toBe(59);
    expect(spriteTileIndex(tenMinutes, 10_000)).toBe(59);
    expect(spriteTileIndex(tenMinutes, Number.NaN)).toBe(0);
  });

  test('the background offset moves a column right and a row down per tile', () => {
    expect(spriteTile(tenMinutes, 0)).toEqual({ index: 0, width: 160, height: 90, position: '0px 0px', size: '1600px 540px' });
    // Tile 12: row 1, column 2.
    expect(spriteTile(tenMinutes, 125)).toMatchObject({ index: 12, position: '-320px -90px' });
    // The last tile: row 5, column 9.
    expect(spriteTile(tenMinutes, 599)).toMatchObject({ index: 59, position: '-1440px -450px' });
  });

  test('drawn smaller, the offsets and the sheet scale together', () => {
    expect(spriteTile(tenMinutes, 125, 0.5)).toEqual({ index: 12, width: 80, height: 45, position: '-160px -45px', size: '800px 270px' });
  });

  test('a short clip (the browser tests’ 8 s, 320x240) has one row of four 2-second tiles', () => {
    const clip = geometryOf(info(8, 320, 240));
    expect(clip).toEqual({ count: 4, columns: 4, rows: 1, intervalS: 2, tileWidth: 160, tileHeight: 120 });
    expect(spriteTile(clip, 6.5)).toMatchObject({ index: 3, position: '-480px 0px', size: '640px 120px' });
  });

  test('an odd length: the interval is rounded to the millisecond and the last moments stay in the last tile', () => {
    const odd = geometryOf(info(61.7));
    expect(odd.count).toBe(30);
    expect(spriteTileIndex(odd, 61.6)).toBe(29);
    expect(spriteTileIndex(odd, 0.5 * odd.intervalS)).toBe(0);
  });

  test('a portrait recording gets tall tiles', () => {
    const portrait = geometryOf(info(60, 1080, 1920));
    expect(portrait.tileHeight).toBe(284);
    // 30 tiles of 2 s in 3 rows: the last is row 2, column 9.
    expect(spriteTile(portrait, 59)).toMatchObject({ index: 29, position: `-${9 * 160}px -${2 * 284}px`, size: '1600px 852px' });
  });
});

describe('scrub bar arithmetic', () => {
  test('a pointer is a fraction along the bar, kept inside it', () => {
    expect(fractionAlong(150, 100, 200)).toBe(0.25);
    expect(fractionAlong(50, 100, 200)).toBe(0);
    expect(fractionAlong(400, 100, 200)).toBe(1);
    expect(fractionAlong(150, 100, 0)).toBe(0);
  });

  test('a fraction is a moment of the footage; unknown length seeks nowhere', () => {
    expect(timeAtFraction(0.75, 8)).toBe(6);
    expect(timeAtFraction(2, 8)).toBe(8);
    expect(timeAtFraction(0.5, Number.NaN)).toBe(0);
    expect(timeAtFraction(0.5, 0)).toBe(0);
  });

  test('the preview box stays over the bar at both ends', () => {
    expect(previewCentre(0, 600, 160)).toBe(80);
    expect(previewCentre(0.5, 600, 160)).toBe(300);
    expect(previewCentre(1, 600, 160)).toBe(520);
    expect(previewCentre(0.9, 100, 160)).toBe(50);
  });

  test('a tile is shrunk to fit the preview, never enlarged', () => {
    const g: SpriteGeometry = { count: 1, columns: 1, rows: 1, intervalS: 2, tileWidth: 320, tileHeight: 180 };
    expect(fitScale(g, 200)).toBe(0.625);
    expect(fitScale({ ...g, tileWidth: 160 }, 200)).toBe(1);
  });
});
