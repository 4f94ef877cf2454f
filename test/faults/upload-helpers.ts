import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingHttpHeaders } from 'node:http';
import path from 'node:path';
import type { ObjectStore } from '../../storage/object-store';
import { projectRoot } from '../../src/paths';
import { makeClip } from '../fixtures/clips';
import { startS3rver, type TestServer } from '../support/s3rver';

/** Helpers of the upload fault tests (storage outage, API killed, same file twice). */

export const MiB = 1024 * 1024;

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * A file of `size` bytes that the ingest takes for footage: a real clip followed by random bytes. Large enough
 * for S3 multipart without encoding megabytes of video; the ingest only sniffs the head.
 */
export async function footage(dir: string, name: string, size: number): Promise<{ path: string; bytes: Buffer; sha256: string }> {
  const clipPath = await makeClip(dir, `head-${name}`);
  const clip = await readFile(clipPath);
  await rm(clipPath);
  const bytes = Buffer.concat([clip, randomBytes(Math.max(0, size - clip.length))]);
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return { path: file, bytes, sha256: sha256(bytes) };
}

export async function objectKeys(store: ObjectStore, prefix = 'originals/'): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list(prefix)) keys.push(o.key);
  return keys.sort();
}

export async function objectSha256(store: ObjectStore, key: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await store.get(key)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Stops s3rver and brings it back on the same port and directory: an object store outage that ends. */
export class StorageOutage {
  private port: number;
  private directory: string;

  constructor(public s3: TestServer) {
    this.port = Number(new URL(s3.endPoint).port);
    this.directory = s3.directory;
  }

  async begin(): Promise<void> {
    await this.s3.close({ keepDirectory: true });
  }

  async end(): Promise<TestServer> {
    this.s3 = await startS3rver('implemented', { port: this.port, directory: this.directory });
    return this.s3;
  }
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function answerOf(req: http.ClientRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    req.on('response', (r) => {
      let body = '';
      r.setEncoding('utf8').on('data', (c: string) => (body += c));
      r.on('end', () => resolve({ status: r.statusCode!, headers: r.headers, body }));
      r.on('error', reject);
    });
    req.on('error', reject);
  });
}

/**
 * A request whose body the test sends piece by piece, so it can hold it half-way (and stop a service, or kill
 * the server, meanwhile). `sent` resolves once the bytes are handed to the socket.
 */
export class HeldRequest {
  readonly answer: Promise<Answer>;
  private offset = 0;

  constructor(
    private readonly req: http.ClientRequest,
    private readonly body: Buffer,
  ) {
    this.answer = answerOf(req);
    // A server killed mid-body is what some tests want: the rejection is theirs to look at, or not.
    this.answer.catch(() => undefined);
  }

  /** Sends the body up to byte `end` (exclusive). */
  sendUpTo(end: number): Promise<void> {
    const piece = this.body.subarray(this.offset, end);
    this.offset = Math.max(this.offset, end);
    return new Promise((resolve) => (this.req.write(piece) ? resolve() : this.req.once('drain', resolve)));
  }

  finish(): void {
    this.req.end(this.body.subarray(this.offset));
    this.offset = this.body.length;
  }
}

/** POST /api/recordings with one file part, sent by hand. */
export function heldMultipartUpload(base: string, token: string, filename: string, content: Buffer): { request: HeldRequest; fileStart: number } {
  const boundary = `bce-held-${randomBytes(6).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: video/mp4\r\n\r\n`);
  const body = Buffer.concat([head, content, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const req = http.request(`${base}/api/recordings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length },
  });
  return { request: new HeldRequest(req, body), fileStart: head.length };
}

const TUS = { 'tus-resumable': '1.0.0' };

const tusMetadata = (m: Record<string, string>) =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');

/** The tus calls a station makes, by hand: the tests decide when each byte goes. */
export function tusClient(base: string, token: string) {
  const auth = { authorization: `Bearer ${token}` };
  return {
    async create(length: number, metadata: Record<string, string>): Promise<string> {
      const res = await fetch(`${base}/api/uploads`, {
        method: 'POST',
        headers: { ...TUS, ...auth, 'upload-length': String(length), 'upload-metadata': tusMetadata(metadata) },
      });
      if (res.status !== 201) throw new Error(`tus create: ${res.status} ${await res.text()}`);
      return res.headers.get('location')!.split('/').pop()!;
    },
    async patch(id: string, offset: number, body: Buffer): Promise<Response> {
      const res = await fetch(`${base}/api/uploads/${id}`, {
        method: 'PATCH',
        headers: { ...TUS, ...auth, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
        body,
      });
      await res.arrayBuffer();
      return res;
    },
    async head(id: string): Promise<Response> {
      return fetch(`${base}/api/uploads/${id}`, { method: 'HEAD', headers: { ...TUS, ...auth } });
    },
    /** A PATCH of `body` from `offset`, sent by hand. */
    held(id: string, offset: number, body: Buffer): HeldRequest {
      const req = http.request(`${base}/api/uploads/${id}`, {
        method: 'PATCH',
        headers: { ...TUS, ...auth, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', 'content-length': body.length },
      });
      return new HeldRequest(req, body);
    },
  };
}

/** A process of this project (`src/main.ts api`, say), its output kept for the test to read. */
export interface Child {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Ends it if it still runs: SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Runs a TypeScript entry point in node with tsx's loader, not the tsx CLI: the CLI runs the program in a
 * second node process, and a SIGKILL must reach the program itself.
 */
/** `input` is written to the child's standard input, which is then closed unless `keepInputOpen`. */
export function runTs(args: string[], env: NodeJS.ProcessEnv, options: { input?: string; keepInputOpen?: boolean } = {}): Child {
  const stdin = options.input === undefined ? 'ignore' : 'pipe';
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: projectRoot(), env, stdio: [stdin, 'pipe', 'pipe'] });
  if (options.input !== undefined) {
    child.stdin!.on('error', () => undefined); // the child may close it first
    if (options.keepInputOpen) child.stdin!.write(options.input);
    else child.stdin!.end(options.input);
  }
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    output: () => out,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
