import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

export const VIDEO_EXTENSIONS: readonly string[] = ['.mp4', '.mov', '.avi', '.ts', '.mkv', '.m4v'];

export interface ScannedFile {
  /** Where to read it (inside the folder, possibly through a symlink that stays inside). */
  path: string;
  /** The file itself, symlinks resolved: identifies it for resuming. */
  realPath: string;
  /** Relative to the folder, with `/` separators whatever the platform, for stable output. */
  relPath: string;
  name: string;
  size: number;
  mtimeMs: number;
}

export interface IgnoredEntry {
  relPath: string;
  reason: string;
}

export interface ScanResult {
  files: ScannedFile[];
  ignored: IgnoredEntry[];
}

export function isVideoName(name: string): boolean {
  return VIDEO_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

interface Candidate extends ScannedFile {
  viaSymlink: boolean;
}

/**
 * Finds the video files under `root`. Hidden entries are the recorder's or the OS's own bookkeeping, not
 * footage. A symlink is followed only while it stays inside the folder: anything outside is not this
 * recorder's. A file reachable twice (through a symlink) is listed once, so it is not uploaded twice.
 */
export async function scanFolder(root: string): Promise<ScanResult> {
  const rootReal = await realpath(root);
  const candidates: Candidate[] = [];
  const ignored: IgnoredEntry[] = [];
  const visitedDirs = new Set<string>([rootReal]);

  // Folders reached through a symlink are walked after the real tree, so each file is found first under
  // its own path.
  const deferred: { abs: string; rel: string; real: string }[] = [];

  const walk = async (dirAbs: string, dirReal: string, relDir: string, throughLink: boolean): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dirAbs, { withFileTypes: true });
    } catch (err) {
      ignored.push({ relPath: relDir || '.', reason: `cannot read folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const abs = path.join(dirAbs, entry.name);
      const rel = relDir ? `${relDir}/${entry.name}` : entry.name;
      if (entry.isSymbolicLink()) {
        let real;
        try {
          real = await realpath(abs);
        } catch {
          ignored.push({ relPath: rel, reason: 'broken symlink' });
          continue;
        }
        if (!isInside(rootReal, real)) {
          ignored.push({ relPath: rel, reason: 'symlink leaves the folder' });
          continue;
        }
        const target = await stat(real);
        if (target.isDirectory()) deferred.push({ abs, rel, real });
        else if (target.isFile() && isVideoName(entry.name)) {
          candidates.push({ path: abs, realPath: real, relPath: rel, name: entry.name, size: target.size, mtimeMs: target.mtimeMs, viaSymlink: true });
        }
      } else if (entry.isDirectory()) {
        const real = await realpath(abs);
        if (visitedDirs.has(real)) continue;
        visitedDirs.add(real);
        await walk(abs, real, rel, throughLink);
      } else if (entry.isFile() && isVideoName(entry.name)) {
        const st = await lstat(abs);
        candidates.push({
          path: abs,
          realPath: path.join(dirReal, entry.name),
          relPath: rel,
          name: entry.name,
          size: st.size,
          mtimeMs: st.mtimeMs,
          viaSymlink: throughLink,
        });
      }
    }
  };
  await walk(root, rootReal, '', false);
  while (deferred.length > 0) {
    const next = deferred.shift()!;
    // A symlink back up the tree, or to a folder already walked, would list its files again (or forever).
    if (visitedDirs.has(next.real)) continue;
    visitedDirs.add(next.real);
    await walk(next.abs, next.real, next.rel, true);
  }

  const byReal = new Map<string, Candidate>();
  for (const c of candidates.sort((a, b) => compareNames(a.relPath, b.relPath))) {
    const seen = byReal.get(c.realPath);
    if (!seen || (seen.viaSymlink && !c.viaSymlink)) byReal.set(c.realPath, c);
  }
  const files = [...byReal.values()]
    .map(({ viaSymlink: _viaSymlink, ...file }) => file)
    .sort((a, b) => compareNames(a.relPath, b.relPath));
  return { files, ignored: ignored.sort((a, b) => compareNames(a.relPath, b.relPath)) };
}

/** Code-unit order, not the locale's: the same folder lists the same way on every station. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
