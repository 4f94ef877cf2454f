import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { commandArgs } from '../../src/media/command';
import { proxyPlan, transcodeCommand, DEFAULT_PROXY } from '../../src/media/plan';
import { ffprobeArgs, parseProbe, parseRate, type MediaInfo } from '../../src/media/probe';
import { moovBeforeMdat } from '../fixtures/media';

const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'bce-media-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const V = (size = '320x240') => ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=15:duration=1`];
const A = (layout = 'stereo') => ['-f', 'lavfi', '-i', `sine=duration=1,aformat=channel_layouts=${layout}`];

async function make(name: string, args: string[]): Promise<string> {
  const file = path.join(dir, name);
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args, file]);
  return file;
}
async function probe(file: string): Promise<MediaInfo> {
  return parseProbe((await run('ffprobe', ffprobeArgs(file))).stdout);
}

test('ffprobe arguments ask for JSON of the format and streams only', () => {
  expect(ffprobeArgs('/x/in.mp4')).toEqual(['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '/x/in.mp4']);
  expect(parseRate('30000/1001')).toBeCloseTo(29.97, 2);
  expect(parseRate('0/0')).toBeNull();
});

const H264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];
test.each([
  ['recorder.mp4', () => [...V(), ...A(), ...H264, '-c:a', 'aac'], 'original'],
  ['silent.mp4', () => [...V(), ...H264], 'original'],
  ['mp3audio.mp4', () => [...V(), ...A(), ...H264, '-c:a', 'libmp3lame'], 'remux'],
  ['surround.mp4', () => [...V(), ...A('5.1'), ...H264, '-c:a', 'aac'], 'remux'],
  ['h264.mkv', () => [...V(), ...A(), ...H264, '-c:a', 'aac'], 'remux'],
  ['hevc.mp4', () => [...V(), ...A(), '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-c:a', 'aac'], 'transcode'],
  ['mjpeg.avi', () => [...V(), ...A(), '-c:v', 'mjpeg', '-c:a', 'pcm_s16le'], 'transcode'],
  ['odd.mp4', () => ['-f', 'lavfi', '-i', 'testsrc=size=1278x719:rate=15:duration=1', '-c:v', 'mpeg4'], 'transcode'],
  ['yuv444.mp4', () => [...V(), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv444p'], 'transcode'],
])('%s', async (name, args, kind) => {
  const file = await make(name, args());
  const info = await probe(file);
  const plan = proxyPlan(info, file, path.join(dir, `${name}.proxy.mp4`));
  expect(plan.kind).toBe(kind);
  if (plan.kind === 'original') return;
  // The plan's own arguments, run for real: the output is browser-playable and as long as the source.
  await run('ffmpeg', ['-loglevel', 'error', ...commandArgs(plan.command)]);
  const out = await probe(path.join(dir, `${name}.proxy.mp4`));
  expect(out.video?.codec).toBe('h264');
  expect(out.video?.pixFmt).toBe('yuv420p');
  expect((out.video!.width % 2) + (out.video!.height % 2)).toBe(0);
  if (info.audio) expect(out.audio).toMatchObject({ codec: 'aac', channels: 2 });
  expect(Math.abs(out.durationS! - info.durationS!)).toBeLessThan(0.15);
  expect(await moovBeforeMdat(path.join(dir, `${name}.proxy.mp4`))).toBe(true);
});

test('a portrait recording (rotation in the display matrix) is read as rotated and still served as is', async () => {
  const plain = await make('portrait-src.mp4', [...V(), ...H264]);
  // ffmpeg 5.1 writes the rotation only when copying streams.
  const rotated = path.join(dir, 'portrait.mp4');
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', plain, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', rotated]);
  const info = await probe(rotated);
  expect([90, 270]).toContain(info.video?.rotation);
  expect((await probe(plain)).video?.rotation).toBe(0);
  expect(proxyPlan(info, rotated, 'out.mp4').kind).toBe('original');
});

test('the transcode builder never upscales and keys every two seconds', () => {
  const info: MediaInfo = {
    formatName: 'avi', durationS: 10, bitRate: 1e6, creationTime: null,
    video: { codec: 'mjpeg', profile: null, pixFmt: 'yuvj422p', width: 640, height: 480, frameRate: 25, variableFrameRate: false, rotation: 0, bitRate: null },
    audio: null,
  };
  const args = commandArgs(transcodeCommand(info, 'in.avi', 'out.mp4', DEFAULT_PROXY));
  expect(args).toEqual(expect.arrayContaining(['-vf', "scale=-2:'min(720,trunc(ih/2)*2)':flags=bicubic,format=yuv420p", '-g', '50', '-crf', '26', '-preset', 'veryfast', '-movflags', '+faststart']));
  expect(args).not.toContain('-c:a');
  expect(proxyPlan({ ...info, video: { ...info.video!, codec: 'h264', pixFmt: 'yuv420p' }, formatName: 'mov,mp4,m4a,3gp,3g2,mj2' }, 'i', 'o', { ...DEFAULT_PROXY, alwaysTranscode: true }).kind).toBe('transcode');
});
