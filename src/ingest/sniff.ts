/** How many leading bytes `sniffMedia` needs to decide (MPEG-TS needs two packets' sync bytes). */
export const SNIFF_BYTES = 512;

export interface MediaKind {
  kind: 'video' | 'audio';
  /** The container the bytes say, whatever the extension says. */
  container: string;
}

const ascii = (b: Buffer, at: number, text: string) => b.length >= at + text.length && b.toString('latin1', at, at + text.length) === text;

const QUICKTIME_ATOMS = ['moov', 'mdat', 'wide', 'free', 'skip', 'pnot'];

/**
 * Recognizes audio and video containers by their signature, or returns null. Only the bytes count: a
 * text file named .MP4 is not footage. A truncated file whose header is intact still is.
 */
export function sniffMedia(head: Buffer): MediaKind | null {
  if (ascii(head, 4, 'ftyp')) {
    const brand = head.toString('latin1', 8, 12);
    if (/^M4A |^M4B /.test(brand)) return { kind: 'audio', container: 'm4a' };
    return { kind: 'video', container: brand === 'qt  ' ? 'mov' : 'mp4' };
  }
  if (QUICKTIME_ATOMS.some((atom) => ascii(head, 4, atom)) && head.readUInt32BE(0) >= 8) return { kind: 'video', container: 'mov' };
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'AVI ')) return { kind: 'video', container: 'avi' };
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WAVE')) return { kind: 'audio', container: 'wav' };
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) return { kind: 'video', container: 'matroska' };
  if (head.length > 188 && head[0] === 0x47 && head[188] === 0x47) return { kind: 'video', container: 'mpegts' };
  if (head.length >= 4 && head.readUInt32BE(0) === 0x000001ba) return { kind: 'video', container: 'mpeg' };
  if (ascii(head, 0, 'FLV') && head[3] === 1) return { kind: 'video', container: 'flv' };
  if (head.length >= 8 && head.readUInt32BE(0) === 0x3026b275 && head.readUInt32BE(4) === 0x8e66cf11) return { kind: 'video', container: 'asf' };
  // Raw H.264/H.265 elementary streams, as some recorders write them: an Annex B start code.
  if (head.length >= 5 && head.readUInt32BE(0) === 0x00000001 && (head[4]! & 0x80) === 0) return { kind: 'video', container: 'annexb' };
  if (ascii(head, 0, 'ID3')) return { kind: 'audio', container: 'mp3' };
  if (head.length >= 2 && head[0] === 0xff && (head[1]! & 0xf6) === 0xf0) return { kind: 'audio', container: 'aac' };
  if (head.length >= 2 && head[0] === 0xff && (head[1]! & 0xe0) === 0xe0 && (head[1]! & 0x06) !== 0) return { kind: 'audio', container: 'mp3' };
  if (ascii(head, 0, '#!AMR')) return { kind: 'audio', container: 'amr' };
  if (ascii(head, 0, 'OggS')) return { kind: 'audio', container: 'ogg' };
  if (ascii(head, 0, 'fLaC')) return { kind: 'audio', container: 'flac' };
  return null;
}
