import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, lstat, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `bce-dock-${prefix}-`));
}

export async function removeDirs(...dirs: string[]): Promise<void> {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
}

export interface MadeFile {
  rel: string;
  bytes: Buffer;
  sha256: string;
}

/** Writes files of random bytes under `root` (sizes in bytes), returning their hashes. */
export async function makeFiles(root: string, files: Record<string, number>): Promise<Record<string, MadeFile>> {
  const out: Record<string, MadeFile> = {};
  for (const [rel, size] of Object.entries(files)) {
    const abs = path.join(root, rel);
    await mkdir(path.dirname(abs), { recursive: true });
    const bytes = randomBytes(size);
    await writeFile(abs, bytes);
    out[rel] = { rel, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
  }
  return out;
}

/** Every entry under `root` (hidden ones too) with its kind, size and mtime: what "unchanged" is checked against. */
export async function listing(root: string): Promise<string[]> {
  const lines: string[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const abs = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = await lstat(abs);
      const kind = st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : 'file';
      lines.push(`${kind}\t${r}\t${st.isDirectory() ? '' : st.size}\t${st.mtimeMs}`);
      if (st.isDirectory()) await walk(abs, r);
    }
  };
  await walk(root, '');
  return lines;
}

export const MiB = 1024 * 1024;
