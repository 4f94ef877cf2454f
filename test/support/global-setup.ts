import { buildWebAssets } from '../../src/web/build';

// The browser tests load the UI the server serves; building it takes under a second.
export default async function globalSetup(): Promise<void> {
  await buildWebAssets();
}
