// Object keys are the one thing both stores must agree on: the filesystem store turns them into paths and
// S3 into URLs, so they are kept to characters that mean the same in both and cannot climb out of the root.

export const MAX_KEY_LENGTH = 512;

// A leading dot is refused as well as `.` and `..`: it keeps hidden names (the filesystem store's own
// `.incoming` directory among them) out of the key space.
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Throws a plain Error that says what is wrong with `key`; returns nothing when the key is usable. */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new Error('object key is empty');
  if (key.length > MAX_KEY_LENGTH) {
    throw new Error(`object key is ${key.length} characters long, more than ${MAX_KEY_LENGTH}`);
  }
  if (key.startsWith('/')) throw new Error(`object key ${JSON.stringify(key)} must be relative (no leading /)`);
  for (const segment of key.split('/')) {
    if (!SEGMENT.test(segment)) {
      throw new Error(
        `object key ${JSON.stringify(key)} has a bad segment ${JSON.stringify(segment)}: ` +
          'segments are non-empty, do not start with a dot and use only A-Z a-z 0-9 . _ -',
      );
    }
  }
}

/**
 * Prefixes for `list` follow the key rules, except that they may be empty (everything) and may end in `/`
 * or in a partial segment.
 */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  const body = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  try {
    assertValidKey(body);
  } catch (err) {
    throw new Error(`list prefix ${JSON.stringify(prefix)} is not usable: ${(err as Error).message}`);
  }
}

// Two characters of the id as a directory level keep any one directory small on filesystems that slow
// down with hundreds of thousands of entries; S3 does not care either way.
function shard(recordingId: string): string {
  if (recordingId.length < 2 || recordingId.includes('/')) {
    throw new Error(`recording id ${JSON.stringify(recordingId)} must be one key segment of at least 2 characters`);
  }
  return recordingId.slice(0, 2);
}

/** Where a recording's original file lives (written once, never overwritten). */
export function originalKey(recordingId: string): string {
  const key = `originals/${shard(recordingId)}/${recordingId}`;
  assertValidKey(key);
  return key;
}

/** Where a file derived from a recording (proxy, thumbnail, …) lives; `name` is one segment. */
export function derivedKey(recordingId: string, name: string): string {
  if (name.includes('/')) throw new Error(`derived object name ${JSON.stringify(name)} must not contain /`);
  const key = `derived/${shard(recordingId)}/${recordingId}/${name}`;
  assertValidKey(key);
  return key;
}

/** The `list` prefix of every derived file of a recording. */
export function derivedPrefix(recordingId: string): string {
  const prefix = `derived/${shard(recordingId)}/${recordingId}/`;
  assertValidPrefix(prefix);
  return prefix;
}
