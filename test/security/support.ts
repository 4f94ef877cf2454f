import { readdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { TestEnv } from '../support/harness';

// Shared by the hostile-input tests (test/security/*.test.ts): the payloads, and what "nothing was stored"
// means, measured the same way everywhere.

/** Script and markup, as an attacker would type it into any free-text field. */
export const XSS = '<script>alert(1)</script><img src=x onerror=alert(1)>';

/** Every file below `dir`, as paths relative to it (`/`-separated), sorted; [] when it does not exist. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (abs: string, rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(abs, e.name), r);
      else out.push(r);
    }
  };
  await walk(dir, '');
  return out.sort();
}

/** Every key in the object store. */
export async function storeKeys(env: TestEnv): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of env.ctx.store.list('')) keys.push(o.key);
  return keys.sort();
}

const count = async (env: TestEnv, table: string) => Number((await env.ctx.pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

/**
 * What ingest leaves behind: rows, custody events, outbox jobs, open uploads of either kind, objects in the
 * store and files in the tus folder. Equal before and after a refused request means it stored nothing.
 */
export async function evidenceState(env: TestEnv) {
  return {
    recordings: await count(env, 'recordings'),
    custody: await count(env, 'custody_events'),
    outbox: await count(env, 'outbox'),
    tusUploads: await count(env, 'tus_uploads'),
    multipartUploads: await count(env, 'multipart_uploads'),
    objects: await storeKeys(env),
    uploadFiles: await filesUnder(path.join(env.config.dataDir, 'uploads')),
  };
}

/** Every table of the catalog with its row count: the proof that a request dropped, emptied or filled none. */
export async function tableCounts(env: TestEnv): Promise<Record<string, number>> {
  const { rows } = await env.ctx.pool.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
  );
  const out: Record<string, number> = {};
  for (const { name } of rows) out[name] = await count(env, `"${name}"`);
  return out;
}

/**
 * A Content-Disposition read strictly: its type, then `; name=value` parameters (token or quoted string) to the
 * end. A name that split the header into more parameters, or named one twice, fails here.
 */
export function dispositionNames(header: string): { fallback: string; utf8: string | null } {
  const type = /^(attachment|inline)/.exec(header);
  if (!type) throw new Error(`Content-Disposition ${JSON.stringify(header)} has no type`);
  const params = new Map<string, string>();
  const param = /\s*;\s*([A-Za-z*-]+)=(?:"((?:[^"\\]|\\.)*)"|([^;\s"]+))/y;
  for (let at = type[0].length; at < header.length; at = param.lastIndex) {
    param.lastIndex = at;
    const m = param.exec(header);
    if (!m || params.has(m[1]!.toLowerCase())) throw new Error(`Content-Disposition ${JSON.stringify(header)} cannot be read strictly`);
    params.set(m[1]!.toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!);
  }
  const ext = params.get('filename*');
  return { fallback: params.get('filename') ?? '', utf8: ext === undefined ? null : decodeURIComponent(ext.replace(/^UTF-8''/i, '')) };
}
export interface RawPart {
  /** Header lines as sent, without their CRLF. */
  headers: string[];
  body: Buffer;
}

/** A multipart/form-data body written by hand, so that it can be anything a client could send. */
export function multipartBody(boundary: string, parts: RawPart[], close = true): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n${p.headers.map((h) => `${h}\r\n`).join('')}\r\n`, 'utf8'), p.body, Buffer.from('\r\n'));
  }
  if (close) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/** A text field part. */
export const fieldPart = (name: string, value: string): RawPart => ({ headers: [`Content-Disposition: form-data; name="${name}"`], body: Buffer.from(value) });

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * One request on a fresh connection with a hard deadline: resolves with the answer, or rejects saying what
 * happened instead (no answer in time, the connection dropped without one). The whole body is sent, so a
 * server that stops reading early (a refusal) must still answer.
 */
export function rawRequest(
  base: string,
  opts: { method: string; path: string; headers: Record<string, string | string[]>; body?: Buffer; timeoutMs: number },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${opts.path}`, { method: opts.method, headers: opts.headers, agent: false });
    let answered = false;
    const timer = setTimeout(() => {
      if (answered) return;
      req.destroy();
      reject(new Error(`no answer within ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const done = () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) });
      };
      res.on('end', done);
      // Closed after the answer (Connection: close on a refusal): what arrived is the answer.
      res.on('error', done);
      res.on('aborted', done);
    });
    req.on('error', (err) => {
      if (answered) return;
      clearTimeout(timer);
      reject(new Error(`connection failed without an answer: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    });
    req.end(opts.body);
  });
}

/** mulberry32: a small seeded PRNG, so a run's requests can be made again from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
