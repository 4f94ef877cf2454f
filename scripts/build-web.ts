import { webAssetsDir } from '../src/web/assets';
import { buildWebAssets } from '../src/web/build';

// `npm run build` step: the browser bundle next to the compiled server.
buildWebAssets().then(
  () => console.log(`web UI built into ${webAssetsDir()}`),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
