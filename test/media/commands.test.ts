import ffmpeg from 'fluent-ffmpeg';
import { command, commandArgs, commandLine } from '../../src/media/command';
import { FfmpegError, progressSeconds, runFfmpeg, runFfprobe } from '../../src/media/ffmpeg';
import { DEFAULT_PROXY, remuxCommand, transcodeCommand } from '../../src/media/plan';
import type { MediaInfo } from '../../src/media/probe';
import { captureLogs } from '../support/log-capture';
import { DEFAULT_THUMBNAILS, posterCommand, posterTime, spriteLayout, spriteRowCommand, spriteSheetCommand } from '../../src/media/thumbnails';

// ffmpeg commands are data: each builder is pinned by its whole argument array (as Immich does), and the
// runner hands the same data to fluent-ffmpeg, which must produce exactly these arguments.

const recorder: MediaInfo = {
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  durationS: 600,
  bitRate: 8_200_000,
  creationTime: null,
  video: { codec: 'h264', profile: 'High', pixFmt: 'yuv420p', width: 1920, height: 1080, frameRate: 30, variableFrameRate: false, rotation: 0, bitRate: 8e6 },
  audio: { codec: 'aac', channels: 2, sampleRate: 48000, bitRate: 128000 },
};

test('remux copies the video and re-encodes the audio to stereo AAC, faststart', () => {
  expect(commandArgs(remuxCommand({ ...recorder, audio: { ...recorder.audio!, codec: 'pcm_s16le' } }, '/in.avi', '/out.mp4', DEFAULT_PROXY))).toEqual([
    '-hide_banner', '-nostdin', '-i', '/in.avi', '-y',
    '-map', '0:v:0', '-c:v', 'copy', '-map', '0:a:0', '-c:a', 'aac', '-b:a', '96k', '-ac', '2', '-movflags', '+faststart', '-f', 'mp4',
    '/out.mp4',
  ]);
});

test('transcode: 720p at most (even sizes), veryfast CRF 26, a keyframe every 2 s, constant frame rate, AAC 96k, faststart', () => {
  const hevc = { ...recorder, video: { ...recorder.video!, codec: 'hevc', frameRate: 25 } };
  expect(commandArgs(transcodeCommand(hevc, '/in.mp4', '/out.mp4', { ...DEFAULT_PROXY, threads: 2 }))).toEqual([
    '-hide_banner', '-nostdin', '-i', '/in.mp4', '-y',
    '-map', '0:v:0', '-vf', "scale=-2:'min(720,trunc(ih/2)*2)':flags=bicubic,format=yuv420p",
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '26', '-profile:v', 'high', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0',
    '-fps_mode', 'cfr', '-r', '25',
    '-map', '0:a:0', '-c:a', 'aac', '-b:a', '96k', '-ac', '2',
    '-threads', '2', '-movflags', '+faststart', '-f', 'mp4', '/out.mp4',
  ]);
});

test('the poster is one keyframe early in the recording, at most 640 wide', () => {
  expect(posterTime(recorder)).toBe(3);
  expect(posterTime({ ...recorder, durationS: 2 })).toBe(0.2);
  expect(commandArgs(posterCommand(recorder, '/in.mp4', '/p.jpg'))).toEqual([
    '-hide_banner', '-nostdin', '-threads', '1', '-ss', '3', '-noaccurate_seek', '-i', '/in.mp4', '-y',
    '-map', '0:v:0', '-frames:v', '1', '-vf', "scale='min(640,iw)':-2", '-q:v', '3', '-f', 'image2', '-c:v', 'mjpeg', '/p.jpg',
  ]);
});

test('the sprite layout spreads at most 60 frames evenly, no closer than 2 s, tiles in the displayed aspect', () => {
  const l = spriteLayout(recorder)!;
  expect(l).toMatchObject({ count: 60, columns: 10, rows: 6, intervalS: 10, tileWidth: 160, tileHeight: 90 });
  expect(l.times.slice(0, 3)).toEqual([5, 15, 25]);
  expect(l.times.at(-1)).toBe(595);
  expect(spriteLayout({ ...recorder, durationS: 25 })).toMatchObject({ count: 12, columns: 10, rows: 2, intervalS: 2.083 });
  expect(spriteLayout({ ...recorder, durationS: 1 })).toMatchObject({ count: 1, columns: 1, rows: 1, times: [0.5] });
  // Portrait: ffmpeg turns the frame upright when decoding, so the tile is tall.
  expect(spriteLayout({ ...recorder, video: { ...recorder.video!, rotation: 90 } })).toMatchObject({ tileWidth: 160, tileHeight: 284 });
  expect(spriteLayout({ ...recorder, video: null })).toBeNull();
  expect(spriteLayout({ ...recorder, durationS: null })).toBeNull();
  expect(spriteLayout(recorder, { ...DEFAULT_THUMBNAILS, maxFrames: 5 })).toMatchObject({ count: 5, columns: 5, rows: 1, intervalS: 120 });
});

test('a sprite row seeks once per tile and stacks the tiles; a short row is padded to full width', () => {
  const l = spriteLayout({ ...recorder, durationS: 25 })!;
  expect(commandArgs(spriteRowCommand('/in.mp4', [22.917, 25], l, '/row-1.png'))).toEqual([
    '-hide_banner', '-nostdin', '-threads', '1', '-ss', '22.917', '-noaccurate_seek', '-i', '/in.mp4',
    '-threads', '1', '-ss', '25', '-noaccurate_seek', '-i', '/in.mp4', '-y',
    '-filter_complex',
    '[0:v:0]trim=end_frame=1,setpts=PTS-STARTPTS,scale=160:90:force_original_aspect_ratio=decrease,pad=160:90:-1:-1,setsar=1[t0];' +
      '[1:v:0]trim=end_frame=1,setpts=PTS-STARTPTS,scale=160:90:force_original_aspect_ratio=decrease,pad=160:90:-1:-1,setsar=1[t1];' +
      '[t0][t1]hstack=inputs=2,pad=1600:90:0:0[row]',
    '-map', '[row]', '-frames:v', '1', '-f', 'image2', '-c:v', 'png', '/row-1.png',
  ]);
  expect(commandArgs(spriteSheetCommand(['/r0.png', '/r1.png'], '/s.jpg'))).toEqual([
    '-hide_banner', '-nostdin', '-i', '/r0.png', '-i', '/r1.png', '-y',
    '-filter_complex', '[0:v][1:v]vstack=inputs=2[sheet]', '-map', '[sheet]', '-frames:v', '1', '-q:v', '4', '-f', 'image2', '-c:v', 'mjpeg', '/s.jpg',
  ]);
});

test('fluent-ffmpeg runs exactly the arguments the builders say', () => {
  const l = spriteLayout(recorder)!;
  for (const c of [
    transcodeCommand(recorder, '/in.mp4', '/out.mp4', DEFAULT_PROXY),
    spriteRowCommand('/in.mp4', l.times.slice(0, 10), l, '/row.png'),
    command([{ source: 'http://s3/bucket/key?X-Amz-Signature=abc def' }], ['-f', 'null'], '-'),
  ]) {
    const proc = ffmpeg();
    for (const i of c.inputs) proc.input(i.source).inputOptions(i.options);
    proc.output(c.output).outputOptions(c.outputOptions);
    // _getArguments is what fluent-ffmpeg spawns ffmpeg with.
    expect((proc as unknown as { _getArguments(): string[] })._getArguments()).toEqual(commandArgs(c));
  }
  expect(commandLine(command([{ source: "/a b/it's.mp4" }], ['-f', 'null'], '-'))).toBe(`ffmpeg -hide_banner -nostdin -i '/a b/it'\\''s.mp4' -y -f null -`);
});

test('progress lines give the position in seconds', () => {
  expect(progressSeconds('frame=  120 fps= 60 q=28.0 size=     256kB time=00:01:02.50 bitrate= 33.6kbits/s speed=2.1x')).toBe(62.5);
  expect(progressSeconds('size=N/A time=-00:00:00.04 bitrate=N/A')).toBeNull();
  expect(progressSeconds('Stream mapping:')).toBeNull();
});

test('a presigned URL\'s signature never reaches a log line or an error: ffprobe and ffmpeg failing on one', async () => {
  const secret = 'f00dfacecafe1234';
  // Nothing listens on port 9: both fail to open the input, naming it in their stderr.
  const url = `http://127.0.0.1:9/evidence/o.mp4?X-Amz-Credential=AKIA%2F20261127&X-Amz-Expires=300&X-Amz-Signature=${secret}`;
  const { logger, lines } = captureLogs('debug');
  const errors: unknown[] = [];
  await runFfprobe(url, { logger, timeoutS: 20 }).catch((e: unknown) => errors.push(e));
  await runFfmpeg(command([{ source: url }], ['-f', 'null'], '-'), { logger, timeoutS: 20 }).catch((e: unknown) => errors.push(e));
  expect(errors).toHaveLength(2);
  for (const e of errors) {
    expect(e).toBeInstanceOf(FfmpegError);
    const { message, commandLine: cmd, stderr } = e as FfmpegError;
    expect(cmd).toContain('X-Amz-Signature=REDACTED');
    expect(`${message}\n${cmd}\n${stderr}`).not.toMatch(new RegExp(`${secret}|AKIA`));
  }
  expect(lines.filter((l) => /failed/.test(String(l.msg)))).toHaveLength(2);
  expect(JSON.stringify(lines)).not.toMatch(new RegExp(`${secret}|AKIA`));
}, 60_000);
