/** How many leading bytes `sniffMedia` needs to decide (MPEG-TS needs two packets' sync bytes). */
export const SNIFF_BYTES = 512;

export interface MediaKind {
  kind: 'video' | 'audio';
  /** The container the bytes say, whatever the extension says. */
  container: string;
}

const ascii = (b: Buffer, at: number, text: string) => b.length >= at + text.length && b.toString('latin1', at, at + text.length) === text;

const QUICKTIME_ATOMS = ['moov', 'mdat', 'wide', 'free', 'skip', 'pnot'];
const PRINTABLE = (b: number) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b <= 0x7e);

/**
 * A QuickTime file without `ftyp` starts with an atom: a 32-bit size, then its type. Text can spell a type
 * ("The free…"), so the size must not be text too, and a padding atom must be followed by another atom.
 */
function quickTimeAtoms(head: Buffer): boolean {
  if (head.length < 8 || !QUICKTIME_ATOMS.some((atom) => ascii(head, 4, atom))) return false;
  const size = head.readUInt32BE(0);
  if (size !== 1 && size < 8) return false;
  if ([0, 1, 2, 3].every((i) => PRINTABLE(head[i]!))) return false;
  const type = head.toString('latin1', 4, 8);
  if (type === 'wide' || type === 'free' || type === 'skip') {
    return size + 8 > head.length || QUICKTIME_ATOMS.includes(head.toString('latin1', size + 4, size + 8)) || ascii(head, size + 4, 'ftyp');
  }
  return true;
}

/** Text (UTF-8, or UTF-16 with its byte-order mark) is never footage, whatever it starts with. */
function looksLikeText(head: Buffer): boolean {
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return true;
  // The sample may end inside a multi-byte character: decode all but the last three bytes.
  const sample = head.length > 3 ? head.subarray(0, head.length - 3) : head;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample);
  } catch {
    return false;
  }
  return sample.every((b) => PRINTABLE(b) || b >= 0x80);
}

/** An MPEG audio frame header with valid version, layer, bit-rate and sampling-rate fields. */
function mpegAudioFrame(head: Buffer): boolean {
  if (head.length < 4 || head[0] !== 0xff || (head[1]! & 0xe0) !== 0xe0) return false;
  const version = (head[1]! >> 3) & 0x03;
  const layer = (head[1]! >> 1) & 0x03;
  const bitrate = head[2]! >> 4;
  const sampling = (head[2]! >> 2) & 0x03;
  return version !== 1 && layer !== 0 && bitrate !== 0x0f && bitrate !== 0 && sampling !== 3;
}

/**
 * Recognizes audio and video containers by their signature, or returns null. Only the bytes count: a
 * text file named .MP4 is not footage. A truncated file whose header is intact still is.
 */
export function sniffMedia(head: Buffer): MediaKind | null {
  if (looksLikeText(head)) return null;
  if (ascii(head, 4, 'ftyp')) {
    const brand = head.toString('latin1', 8, 12);
    if (/^M4A |^M4B /.test(brand)) return { kind: 'audio', container: 'm4a' };
    return { kind: 'video', container: brand === 'qt  ' ? 'mov' : 'mp4' };
  }
  if (quickTimeAtoms(head)) return { kind: 'video', container: 'mov' };
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'AVI ')) return { kind: 'video', container: 'avi' };
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WAVE')) return { kind: 'audio', container: 'wav' };
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) return { kind: 'video', container: 'matroska' };
  if (head.length > 188 && head[0] === 0x47 && head[188] === 0x47) return { kind: 'video', container: 'mpegts' };
  // M2TS (.MTS, AVCHD): 192-byte packets, a 4-byte timestamp before each sync byte.
  if (head.length > 196 && head[4] === 0x47 && head[196] === 0x47) return { kind: 'video', container: 'm2ts' };
  if (head.length >= 4 && head.readUInt32BE(0) === 0x000001ba) return { kind: 'video', container: 'mpeg' };
  if (ascii(head, 0, 'FLV') && head[3] === 1) return { kind: 'video', container: 'flv' };
  if (head.length >= 8 && head.readUInt32BE(0) === 0x3026b275 && head.readUInt32BE(4) === 0x8e66cf11) return { kind: 'video', container: 'asf' };
  // Raw H.264/H.265 elementary streams, as some recorders write them: an Annex B start code.
  if (head.length >= 5 && head.readUInt32BE(0) === 0x00000001 && (head[4]! & 0x80) === 0) return { kind: 'video', container: 'annexb' };
  // ID3v2: version 2 to 4, revision below 0xFF, a size of four 7-bit bytes.
  if (ascii(head, 0, 'ID3') && head.length >= 10 && head[3]! >= 2 && head[3]! <= 4 && head[4] !== 0xff && [6, 7, 8, 9].every((i) => head[i]! < 0x80)) {
    return { kind: 'audio', container: 'mp3' };
  }
  // ADTS: sync, layer 00, a sampling-frequency index that exists.
  if (head.length >= 3 && head[0] === 0xff && (head[1]! & 0xf6) === 0xf0 && ((head[2]! >> 2) & 0x0f) < 13) return { kind: 'audio', container: 'aac' };
  if (mpegAudioFrame(head)) return { kind: 'audio', container: 'mp3' };
  if (ascii(head, 0, '#!AMR')) return { kind: 'audio', container: 'amr' };
  if (ascii(head, 0, 'OggS')) return { kind: 'audio', container: 'ogg' };
  if (ascii(head, 0, 'fLaC')) return { kind: 'audio', container: 'flac' };
  return null;
}
