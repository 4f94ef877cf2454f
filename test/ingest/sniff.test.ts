import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SNIFF_BYTES, sniffMedia } from '../../src/ingest/sniff';

const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'bce-sniff-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function head(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  const buf = Buffer.alloc(SNIFF_BYTES);
  const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
  await fh.close();
  return buf.subarray(0, bytesRead);
}

const VIDEO = ['-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=10:duration=0.5'];
const AUDIO = ['-f', 'lavfi', '-i', 'sine=duration=0.5'];

// What ffmpeg writes for each container a recorder or docking station may deliver.
test.each([
  ['clip.mp4', [...VIDEO, '-c:v', 'libx264', '-pix_fmt', 'yuv420p'], 'video', 'mp4'],
  ['clip.mov', [...VIDEO, '-c:v', 'libx264', '-pix_fmt', 'yuv420p'], 'video', 'mov'],
  ['clip.mkv', [...VIDEO, '-c:v', 'libx264'], 'video', 'matroska'],
  ['clip.avi', [...VIDEO, '-c:v', 'mjpeg'], 'video', 'avi'],
  ['clip.ts', [...VIDEO, '-c:v', 'libx264'], 'video', 'mpegts'],
  ['clip.flv', [...VIDEO, '-c:v', 'flv'], 'video', 'flv'],
  ['clip.mpg', [...VIDEO, '-c:v', 'mpeg2video'], 'video', 'mpeg'],
  ['clip.h264', [...VIDEO, '-c:v', 'libx264', '-f', 'h264'], 'video', 'annexb'],
  ['clip.wav', [...AUDIO], 'audio', 'wav'],
  ['clip.mp3', [...AUDIO, '-c:a', 'libmp3lame'], 'audio', 'mp3'],
  ['clip.aac', [...AUDIO, '-c:a', 'aac', '-f', 'adts'], 'audio', 'aac'],
  ['clip.m4a', [...AUDIO, '-c:a', 'aac'], 'audio', 'm4a'],
  ['clip.ogg', [...AUDIO, '-c:a', 'libvorbis'], 'audio', 'ogg'],
  ['clip.flac', [...AUDIO], 'audio', 'flac'],
])('%s is recognized', async (name, args, kind, container) => {
  const file = path.join(dir, name);
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args, file]);
  expect(sniffMedia(await head(file))).toEqual({ kind, container });
});

test.each([
  ['plain text', Buffer.from('Officer 100001 report: nothing to see here.\n'.repeat(20))],
  ['text that spells a QuickTime atom', Buffer.from('The free parking report for March\n'.repeat(20))],
  ['text starting with "ID3"', Buffer.from('ID3 tags are described in this document.\n'.repeat(20))],
  ['UTF-16 text with its byte-order mark', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('执法记录 report\r\n'.repeat(20), 'utf16le')])],
  ['UTF-8 Chinese text', Buffer.from('执法记录仪使用管理规定\n'.repeat(30))],
  ['a JPEG photo', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]), randomBytes(500)])],
  ['a PDF', Buffer.from('%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n1 0 obj\n'.padEnd(512, ' '))],
  ['a ZIP', Buffer.concat([Buffer.from('PK\u0003\u0004'), randomBytes(500)])],
  ['nothing', Buffer.alloc(0)],
])('%s is not footage', (_name, bytes) => {
  expect(sniffMedia(bytes.subarray(0, SNIFF_BYTES))).toBeNull();
});

test('M2TS (192-byte packets) is footage', () => {
  const packets = Buffer.alloc(400);
  packets[4] = 0x47;
  packets[196] = 0x47;
  expect(sniffMedia(packets)).toEqual({ kind: 'video', container: 'm2ts' });
});
