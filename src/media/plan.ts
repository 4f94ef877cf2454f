import { command, type FfmpegCommand } from './command';
import type { MediaInfo } from './probe';

/** How playback is served, decided per stream (PeerTube's quick-transcode gate). */
export type ProxyPlan =
  | { kind: 'original'; reason: string }
  | { kind: 'remux'; reason: string; command: FfmpegCommand }
  | { kind: 'transcode'; reason: string; command: FfmpegCommand };

export interface ProxySettings {
  /** Above this total bit rate (bit/s) an original is not served as is. */
  maxBitRate: number;
  /** Height of a transcoded proxy (width follows, even). */
  height: number;
  crf: number;
  preset: string;
  audioBitRate: string;
  keyframeSeconds: number;
  threads: number;
  /** Make a low-bit-rate proxy of everything (reviewers on slow links). */
  alwaysTranscode: boolean;
}

export const DEFAULT_PROXY: ProxySettings = {
  maxBitRate: 12_000_000,
  height: 720,
  crf: 26,
  preset: 'veryfast',
  audioBitRate: '96k',
  keyframeSeconds: 2,
  threads: 0,
  alwaysTranscode: false,
};

const isMp4 = (info: MediaInfo) => /(^|,)(mp4|mov)(,|$)/.test(info.formatName);

/** Why the video cannot be copied into a browser-playable file, or null when it can. */
function videoProblem(info: MediaInfo, s: ProxySettings): string | null {
  const v = info.video;
  if (!v) return null;
  if (v.codec !== 'h264') return `video codec ${v.codec}`;
  if (v.pixFmt !== 'yuv420p' && v.pixFmt !== 'yuvj420p') return `pixel format ${v.pixFmt}`;
  if (v.width % 2 || v.height % 2) return `odd frame size ${v.width}x${v.height}`;
  if (v.variableFrameRate) return 'variable frame rate';
  if (info.bitRate !== null && info.bitRate > s.maxBitRate) return `bit rate ${info.bitRate} over ${s.maxBitRate}`;
  return null;
}

const audioOk = (info: MediaInfo) => !info.audio || (info.audio.codec === 'aac' && (info.audio.channels ?? 2) <= 2);

/**
 * Decides what the browser plays. An original that is already H.264 yuv420p with AAC (or no audio) in MP4
 * under the bit-rate cap is its own proxy: no second copy. When only the container or the audio fails,
 * the video is copied and the audio re-encoded. Anything else is transcoded to the configured profile.
 */
export function proxyPlan(info: MediaInfo, input: string, output: string, s: ProxySettings = DEFAULT_PROXY): ProxyPlan {
  const video = videoProblem(info, s);
  if (!s.alwaysTranscode && !video) {
    if (isMp4(info) && audioOk(info)) return { kind: 'original', reason: 'H.264 yuv420p with AAC or no audio, in MP4, under the bit-rate cap' };
    const why = isMp4(info) ? `audio ${info.audio?.codec} (${info.audio?.channels} channels)` : `container ${info.formatName}`;
    return { kind: 'remux', reason: why, command: remuxCommand(info, input, output, s) };
  }
  return { kind: 'transcode', reason: s.alwaysTranscode ? 'a low-bit-rate proxy of everything is configured' : video!, command: transcodeCommand(info, input, output, s) };
}

export function remuxCommand(info: MediaInfo, input: string, output: string, s: ProxySettings): FfmpegCommand {
  const audio = info.audio ? ['-map', '0:a:0', '-c:a', 'aac', '-b:a', s.audioBitRate, '-ac', '2'] : [];
  return command([{ source: input }], ['-map', '0:v:0', '-c:v', 'copy', ...audio, '-movflags', '+faststart', '-f', 'mp4'], output);
}

export function transcodeCommand(info: MediaInfo, input: string, output: string, s: ProxySettings): FfmpegCommand {
  const fps = info.video?.frameRate && info.video.frameRate > 0 && info.video.frameRate <= 60 ? info.video.frameRate : 30;
  const video = info.video
    ? [
        '-map', '0:v:0',
        // Never upscale; -2 keeps the width even, which yuv420p needs.
        '-vf', `scale=-2:'min(${s.height},trunc(ih/2)*2)':flags=bicubic,format=yuv420p`,
        '-c:v', 'libx264', '-preset', s.preset, '-crf', String(s.crf), '-profile:v', 'high',
        '-g', String(Math.round(fps * s.keyframeSeconds)), '-keyint_min', String(Math.round(fps * s.keyframeSeconds)), '-sc_threshold', '0',
        // A constant rate: browsers and the scrubber expect one.
        '-fps_mode', 'cfr', '-r', String(Math.round(fps * 1000) / 1000),
      ]
    : [];
  const audio = info.audio ? ['-map', '0:a:0', '-c:a', 'aac', '-b:a', s.audioBitRate, '-ac', '2'] : [];
  return command([{ source: input }], [...video, ...audio, '-threads', String(s.threads), '-movflags', '+faststart', '-f', 'mp4'], output);
}
