import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { freePort } from '../scratch';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const MiB = 1024 * 1024;

/**
 * A recorder-like file of `bytes`: a real MP4 (so the content check passes) followed by random bytes.
 * Random data costs the store what footage costs it; a real 4 GiB encode would cost the benchmark minutes.
 */
export async function footageFile(dir: string, name: string, bytes: number): Promise<string> {
  const head = path.join(dir, `${name}.head.mp4`);
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15:duration=1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', head]);
  const file = path.join(dir, name);
  const out = createWriteStream(file);
  await pipeline(createReadStream(head), out, { end: false });
  let left = bytes - (await stat(head)).size;
  const block = randomBytes(4 * MiB);
  await new Promise<void>((resolve, reject) => {
    const write = () => {
      while (left > 0) {
        const n = Math.min(left, block.length);
        left -= n;
        if (!out.write(block.subarray(0, n))) return void out.once('drain', write);
      }
      out.end(resolve);
    };
    out.on('error', reject);
    write();
  });
  return file;
}

/** A copy of a file with different last bytes: same size, different SHA-256 (no dedupe between runs). */
export async function variant(file: string, target: string): Promise<string> {
  await pipeline(createReadStream(file), createWriteStream(target));
  const fh = await open(target, 'r+');
  const { size } = await fh.stat();
  await fh.write(randomBytes(16), 0, 16, size - 16);
  await fh.close();
  return target;
}

/** Peak resident memory of a process, sampled from /proc while `work` runs. */
export async function peakRss<T>(pid: number, work: () => Promise<T>, everyMs = 50): Promise<{ result: T; peakMb: number; startMb: number }> {
  const rssMb = async () => {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
  };
  const startMb = await rssMb();
  let peakMb = startMb;
  const timer = setInterval(() => void rssMb().then((mb) => (peakMb = Math.max(peakMb, mb)), () => undefined), everyMs);
  try {
    const result = await work();
    peakMb = Math.max(peakMb, await rssMb());
    return { result, peakMb, startMb };
  } finally {
    clearInterval(timer);
  }
}

export async function startApi(root: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; base: string; stop(): Promise<void> }> {
  const port = await freePort();
  const nodeArgs = process.env.BENCH_API_NODE_ARGS ? process.env.BENCH_API_NODE_ARGS.split(' ') : [];
  const child = spawn(process.execPath, [...nodeArgs, path.join(root, 'dist/src/main.js'), 'api'], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > until || child.exitCode !== null) throw new Error('the API did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    base,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export const fmt = (n: number, digits = 2) => n.toFixed(digits);

/** Writes every dirty page to disk, so a timed run does not pay for the previous step's writes. */
export async function flushDisks(): Promise<void> {
  await run('sync');
}

/** CPU seconds (user + system) a process has used so far. */
export async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}
