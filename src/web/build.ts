import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { projectRoot } from '../paths';
import { webAssetsDir } from './assets';

// Build time only (esbuild is a development dependency): the running server imports ./assets, never this.

/**
 * Bundles the browser application (src/web/client) into app.js and app.css. One bundle, no code splitting:
 * the whole UI is a few hundred kilobytes, and an office PC on the bureau's LAN fetches it once.
 */
export async function buildWebAssets(outDir = webAssetsDir()): Promise<void> {
  const client = path.join(projectRoot(), 'src', 'web', 'client');
  const result = await build({
    write: false,
    entryPoints: { app: path.join(client, 'main.tsx') },
    bundle: true,
    outdir: outDir,
    format: 'iife',
    // Chromium-based browsers of the last few years (the bureau's office PCs run 360/Edge/Chrome).
    target: ['chrome100', 'edge100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    logLevel: 'warning',
    tsconfig: path.join(client, 'tsconfig.json'),
  });
  // Written beside and renamed: a server answering meanwhile (tests build while others run) never serves half a file.
  await mkdir(outDir, { recursive: true });
  for (const file of result.outputFiles) {
    const tmp = `${file.path}.${process.pid}.tmp`;
    await writeFile(tmp, file.contents);
    await rename(tmp, file.path);
  }
}
