/** What ffprobe says about a file, reduced to what playback and the rules need. */
export interface MediaInfo {
  /** ffprobe's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2", "avi", "mpegts". */
  formatName: string;
  durationS: number | null;
  bitRate: number | null;
  creationTime: string | null;
  video: VideoStream | null;
  audio: AudioStream | null;
}

export interface VideoStream {
  codec: string;
  profile: string | null;
  pixFmt: string | null;
  width: number;
  height: number;
  /** Average frames per second. */
  frameRate: number | null;
  /** Variable frame rate: the nominal and the average rates disagree. */
  variableFrameRate: boolean;
  /** Clockwise rotation the player must apply (0, 90, 180, 270). */
  rotation: number;
  bitRate: number | null;
}

export interface AudioStream {
  codec: string;
  channels: number | null;
  sampleRate: number | null;
  bitRate: number | null;
}

/** ffprobe's arguments for `input`: JSON, format and streams, nothing decoded. */
export function ffprobeArgs(input: string): string[] {
  return ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', input];
}

const num = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};

/** "30000/1001" → 29.97; "0/0" → null. */
export function parseRate(rate: unknown): number | null {
  if (typeof rate !== 'string') return null;
  const [a, b] = rate.split('/').map(Number);
  if (!a || !b || !Number.isFinite(a) || !Number.isFinite(b)) return null;
  return a / b;
}

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  pix_fmt?: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  bit_rate?: string;
  channels?: number;
  sample_rate?: string;
  tags?: Record<string, string>;
  side_data_list?: { rotation?: number }[];
  disposition?: { attached_pic?: number };
}

function rotationOf(s: ProbeStream): number {
  // Newer ffmpeg reports a display matrix (counter-clockwise degrees, often negative); older a "rotate" tag.
  const matrix = s.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
  const degrees = matrix !== undefined ? -matrix : num(s.tags?.rotate) ?? 0;
  return (((Math.round(degrees / 90) * 90) % 360) + 360) % 360;
}

/** Reads ffprobe's JSON; throws when it describes nothing playable at all. */
export function parseProbe(json: string): MediaInfo {
  const data = JSON.parse(json) as { format?: Record<string, unknown> & { tags?: Record<string, string> }; streams?: ProbeStream[] };
  const streams = data.streams ?? [];
  const v = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const a = streams.find((s) => s.codec_type === 'audio');
  if (!v && !a) throw new Error('no audio or video stream');
  const nominal = parseRate(v?.r_frame_rate);
  const average = parseRate(v?.avg_frame_rate);
  return {
    formatName: String(data.format?.format_name ?? ''),
    durationS: num(data.format?.duration),
    bitRate: num(data.format?.bit_rate),
    creationTime: data.format?.tags?.creation_time ?? null,
    video: v
      ? {
          codec: v.codec_name ?? 'unknown',
          profile: v.profile ?? null,
          pixFmt: v.pix_fmt ?? null,
          width: v.width ?? 0,
          height: v.height ?? 0,
          frameRate: average ?? nominal,
          variableFrameRate: nominal !== null && average !== null && Math.abs(nominal - average) / nominal > 0.01,
          rotation: rotationOf(v),
          bitRate: num(v.bit_rate),
        }
      : null,
    audio: a ? { codec: a.codec_name ?? 'unknown', channels: a.channels ?? null, sampleRate: num(a.sample_rate), bitRate: num(a.bit_rate) } : null,
  };
}
