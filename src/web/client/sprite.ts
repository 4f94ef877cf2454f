// Where the scrubbing thumbnail for a moment of footage sits in the sprite sheet the pipeline made
// (src/media/thumbnails.ts spriteLayout: tiles left to right, then top to bottom; tile i stands for
// [i × intervalS, (i + 1) × intervalS)). Pure: unit-tested without a browser.
import type { SpriteLayout } from '../../media/thumbnails';

/**
 * The sheet's geometry as GET /api/recordings/{id} returns it in `playback.sprite`: the server's layout without
 * its seek times (a type-only import: nothing of the server is bundled, and thumbnails.ts needs no Node types).
 */
export type SpriteGeometry = Omit<SpriteLayout, 'times'>;

export interface SpriteTile {
  index: number;
  /** The tile's box as shown, in CSS pixels. */
  width: number;
  height: number;
  /** CSS background-position and background-size that show only this tile of the sheet. */
  position: string;
  size: string;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** The tile that stands for `seconds` into the footage (the first or last one outside the footage). */
export function spriteTileIndex(g: SpriteGeometry, seconds: number): number {
  if (!(g.count > 0)) return 0;
  if (!Number.isFinite(seconds) || !(g.intervalS > 0)) return 0;
  return clamp(Math.floor(seconds / g.intervalS), 0, g.count - 1);
}

/**
 * The tile for `seconds`, drawn `scale` times its stored size: the offsets and the sheet's size scale
 * together, so one image serves a preview of any size.
 */
export function spriteTile(g: SpriteGeometry, seconds: number, scale = 1): SpriteTile {
  const index = spriteTileIndex(g, seconds);
  const columns = Math.max(1, g.columns);
  const w = g.tileWidth * scale;
  const h = g.tileHeight * scale;
  const x = (index % columns) * w;
  const y = Math.floor(index / columns) * h;
  return {
    index,
    width: w,
    height: h,
    position: `${x === 0 ? 0 : -x}px ${y === 0 ? 0 : -y}px`,
    size: `${columns * w}px ${Math.max(1, g.rows) * h}px`,
  };
}

/** The scale that fits a tile into `maxWidth` pixels, never enlarging it (an enlarged tile is only blurrier). */
export const fitScale = (g: SpriteGeometry, maxWidth: number): number => (g.tileWidth > maxWidth ? maxWidth / g.tileWidth : 1);

/** Where a pointer is along a bar, as a fraction 0–1 of its width. */
export function fractionAlong(pointerX: number, barLeft: number, barWidth: number): number {
  if (!(barWidth > 0)) return 0;
  return clamp((pointerX - barLeft) / barWidth, 0, 1);
}

/** The moment at a fraction of the footage's length. */
export const timeAtFraction = (fraction: number, durationS: number): number =>
  Number.isFinite(durationS) && durationS > 0 ? clamp(fraction, 0, 1) * durationS : 0;

/**
 * Where the preview box's centre goes over a bar `barWidth` wide, so that a box `boxWidth` wide stays over
 * the bar at both ends.
 */
export function previewCentre(fraction: number, barWidth: number, boxWidth: number): number {
  const half = boxWidth / 2;
  if (barWidth <= boxWidth) return barWidth / 2;
  return clamp(fraction * barWidth, half, barWidth - half);
}
