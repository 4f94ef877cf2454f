import type { ObjectStore } from '../../storage/object-store';
import { storageDuration } from './instruments';

const TIMED = new Set<keyof ObjectStore>(['put', 'get', 'stat', 'remove', 'readableLocation', 'check', 'abortMultipart']);

/**
 * The store with every operation timed into bodycam_storage_operation_duration_seconds. A Proxy rather than
 * a wrapper class, so what the adapter offers beyond the interface (the filesystem store's sweep of its
 * incoming folder, `instanceof` checks) still works; other methods run on the adapter itself. `list` is
 * timed from its first request to its last answer.
 */
export function timedStore(store: ObjectStore): ObjectStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (prop === 'list') return (...args: unknown[]) => timedList(fn.apply(target, args) as AsyncIterable<unknown>);
      if (!TIMED.has(prop as keyof ObjectStore)) return fn.bind(target);
      return async (...args: unknown[]) => {
        const end = storageDuration.startTimer({ operation: String(prop) });
        try {
          const result = await fn.apply(target, args);
          end({ outcome: 'ok' });
          return result;
        } catch (err) {
          end({ outcome: 'error' });
          throw err;
        }
      };
    },
  });
}

async function* timedList<T>(source: AsyncIterable<T>): AsyncIterable<T> {
  const end = storageDuration.startTimer({ operation: 'list' });
  // A caller that stops iterating early ends the listing without an error.
  let outcome = 'ok';
  try {
    yield* source;
  } catch (err) {
    outcome = 'error';
    throw err;
  } finally {
    end({ outcome });
  }
}
