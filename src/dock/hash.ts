import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * Lowercase hex SHA-256 of a file, read once from start to end with a fixed-size buffer, so memory does not
 * grow with the file (recorder segments reach 4 GiB). `onProgress` gets the bytes read so far.
 */
export async function sha256File(file: string, onProgress?: (bytesRead: number) => void, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  // flags 'r': the recorder is never opened for writing.
  const stream = createReadStream(file, { flags: 'r', highWaterMark: 1 << 20, signal });
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    onProgress?.(bytes);
  }
  return hash.digest('hex');
}
