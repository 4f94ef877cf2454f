import { command, type FfmpegCommand } from './command';
import type { MediaInfo } from './probe';

/** Where each frame of a scrubbing sprite sheet comes from and where it sits. */
export interface SpriteLayout {
  count: number;
  columns: number;
  rows: number;
  /** Seconds of footage per tile: tile i shows the keyframe at or before (i + 0.5) × intervalS. */
  intervalS: number;
  tileWidth: number;
  tileHeight: number;
  /** Seek positions, one per tile, in seconds. */
  times: number[];
}

export interface ThumbnailSettings {
  maxFrames: number;
  tileWidth: number;
  columns: number;
  /** A sprite frame at most this often: more would show the same keyframe twice. */
  minIntervalS: number;
  posterWidth: number;
}

export const DEFAULT_THUMBNAILS: ThumbnailSettings = { maxFrames: 60, tileWidth: 160, columns: 10, minIntervalS: 2, posterWidth: 640 };

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** The frame as shown: ffmpeg applies the rotation when it decodes, so a portrait recording stays upright. */
export function displaySize(info: MediaInfo): { width: number; height: number } | null {
  const v = info.video;
  if (!v || !v.width || !v.height) return null;
  return v.rotation === 90 || v.rotation === 270 ? { width: v.height, height: v.width } : { width: v.width, height: v.height };
}

export function spriteLayout(info: MediaInfo, s: ThumbnailSettings = DEFAULT_THUMBNAILS): SpriteLayout | null {
  const size = displaySize(info);
  const duration = info.durationS ?? 0;
  if (!size || !(duration > 0)) return null;
  const count = Math.max(1, Math.min(s.maxFrames, Math.floor(duration / s.minIntervalS)));
  const columns = Math.min(count, s.columns);
  const intervalS = duration / count;
  // Seeking to the very end finds no frame to show; stay a little inside the footage.
  const last = Math.max(0, duration - 0.1);
  const times = Array.from({ length: count }, (_, i) => Math.round(Math.min(last, (i + 0.5) * intervalS) * 1000) / 1000);
  return {
    count,
    columns,
    rows: Math.ceil(count / columns),
    intervalS: Math.round(intervalS * 1000) / 1000,
    tileWidth: s.tileWidth,
    tileHeight: even((s.tileWidth * size.height) / size.width),
    times,
  };
}

/** The poster frame: early in the recording (the first frames are often the holster), never upscaled. */
export function posterTime(info: MediaInfo): number {
  const duration = info.durationS ?? 0;
  return Math.round(Math.min(3, duration * 0.1) * 1000) / 1000;
}

// -noaccurate_seek shows the keyframe at or before the position instead of decoding up to it: one frame
// decoded per tile, whatever the file's length. -threads 1 per input: dozens of inputs each with a full
// set of decoder threads cost more memory than they save time.
const seekInput = (source: string, at: number) => ({ source, options: ['-threads', '1', '-ss', String(at), '-noaccurate_seek'] });

export function posterCommand(info: MediaInfo, input: string, output: string, s: ThumbnailSettings = DEFAULT_THUMBNAILS): FfmpegCommand {
  return command(
    [seekInput(input, posterTime(info))],
    ['-map', '0:v:0', '-frames:v', '1', '-vf', `scale='min(${s.posterWidth},iw)':-2`, '-q:v', '3', '-f', 'image2', '-c:v', 'mjpeg'],
    output,
  );
}

/**
 * One row of the sprite sheet from one ffmpeg run with a seeking input per tile. Rows are separate runs:
 * one run with every tile as an input holds hundreds of megabytes of decoder state (measured: 60 inputs of
 * a 1080p file, 620 MB) and is slower than rows run two at a time.
 */
export function spriteRowCommand(input: string, times: number[], layout: SpriteLayout, output: string): FfmpegCommand {
  const { tileWidth: w, tileHeight: h, columns } = layout;
  // One frame per input, its time reset to zero: hstack matches frames by timestamp, and tiles whose
  // keyframes lie at different distances before their seek points would otherwise make it decode on
  // (measured: a row of 1080p tiles 0.96 s, against 0.28 s with the reset).
  const tiles = times.map(
    (_, i) =>
      `[${i}:v:0]trim=end_frame=1,setpts=PTS-STARTPTS,scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:-1:-1,setsar=1[t${i}]`,
  );
  const stack = times.length > 1 ? `${times.map((_, i) => `[t${i}]`).join('')}hstack=inputs=${times.length}` : '[t0]null';
  // A short last row is padded to full width so the rows stack.
  const pad = times.length < columns ? `,pad=${w * columns}:${h}:0:0` : '';
  return command(
    times.map((t) => seekInput(input, t)),
    ['-filter_complex', `${tiles.join(';')};${stack}${pad}[row]`, '-map', '[row]', '-frames:v', '1', '-f', 'image2', '-c:v', 'png'],
    output,
  );
}

/** Stacks the rows into the sheet, one JPEG. */
export function spriteSheetCommand(rows: string[], output: string): FfmpegCommand {
  const filter = rows.length > 1 ? `${rows.map((_, i) => `[${i}:v]`).join('')}vstack=inputs=${rows.length}[sheet]` : '[0:v]null[sheet]';
  return command(
    rows.map((source) => ({ source })),
    ['-filter_complex', filter, '-map', '[sheet]', '-frames:v', '1', '-q:v', '4', '-f', 'image2', '-c:v', 'mjpeg'],
    output,
  );
}
