import type { Config } from '../config/schema';
import { FilesystemStore } from './filesystem-store';
import type { MultipartRegistry, ObjectStore } from './object-store';
import { S3Store, type StoreLogger } from './s3-store';

export * from './object-store';
export * from './keys';
export { FilesystemStore } from './filesystem-store';
export { S3Store, type S3StoreConfig, type S3StoreDeps, type StoreLogger } from './s3-store';

/** The configured store, ready to use: its root or bucket exists (when the configuration allows creating it). */
export async function createObjectStore(
  config: Config['storage'],
  deps: { registry?: MultipartRegistry; logger?: StoreLogger } = {},
): Promise<ObjectStore> {
  if (config.driver === 'filesystem') {
    const store = new FilesystemStore(config.dataDir);
    await store.init();
    return store;
  }
  const store = new S3Store(config, deps);
  await store.init();
  return store;
}
