import { AppError, badRequest } from '../errors';
import { filenameProblem } from './filename';
import { INGEST_FIELDS, type IngestField, type IngestFields } from './types';
import { UUID } from '../directory/identifiers';

/** The one protocol version spoken, and the extensions beyond the core. */
export const TUS_VERSION = '1.0.0';
export const TUS_EXTENSIONS = 'creation,termination';
export const OFFSET_STREAM = 'application/offset+octet-stream';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const METADATA_KEYS = new Set<string>(['filename', ...INGEST_FIELDS]);

/** The spec lets a server refuse any version it does not speak; a request without one is not tus. */
export function requireTusResumable(value: string | undefined): void {
  if (value === TUS_VERSION) return;
  throw new AppError(412, 'unsupported_tus_version', `Tus-Resumable must be ${TUS_VERSION} (got ${value ?? 'none'})`, 'Tus-Resumable', {
    'Tus-Version': TUS_VERSION,
  });
}

export const isUploadId = (value: string): boolean => UUID.test(value);

function nonNegativeInteger(value: string | undefined, header: string): number {
  if (value === undefined) throw badRequest('missing_header', `${header} is required`, header);
  const n = /^\d{1,16}$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n)) throw badRequest('invalid_header', `${header} must be a non-negative integer`, header);
  return n;
}

/** Upload-Length at creation. Deferred lengths are not offered: a station always knows a file's size. */
export function parseUploadLength(value: string | undefined, maxBytes: number): number {
  if (value === undefined) {
    throw badRequest('missing_header', 'Upload-Length is required (deferred lengths are not supported)', 'Upload-Length');
  }
  const length = nonNegativeInteger(value, 'Upload-Length');
  if (length === 0) throw badRequest('empty_file', 'the file is empty', 'Upload-Length');
  if (length > maxBytes) {
    throw new AppError(413, 'too_large', `the file is larger than the ${maxBytes}-byte limit`, 'Upload-Length', { 'Tus-Max-Size': String(maxBytes) });
  }
  return length;
}

export const parseUploadOffset = (value: string | undefined): number => nonNegativeInteger(value, 'Upload-Offset');

/** Content-Length when the client declared one; a chunked body has none. */
export function declaredLength(value: string | undefined): number | undefined {
  return value === undefined ? undefined : nonNegativeInteger(value, 'Content-Length');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeValue(key: string, encoded: string): string {
  if (!BASE64.test(encoded)) throw badRequest('invalid_metadata', `Upload-Metadata: the value of ${key} is not base64`, key);
  try {
    return utf8.decode(Buffer.from(encoded, 'base64'));
  } catch {
    throw badRequest('invalid_metadata', `Upload-Metadata: the value of ${key} is not UTF-8 text`, key);
  }
}

/**
 * Upload-Metadata: comma-separated `key base64value` pairs (the value may be left out when empty). Only the
 * file name and the ingest fields are accepted; what the fields mean is the ingest's to judge.
 */
export function parseMetadata(header: string | undefined): { filename: string; fields: IngestFields } {
  const values = new Map<string, string>();
  for (const pair of header?.trim() ? header.split(',') : []) {
    const parts = pair.trim().split(' ');
    const key = parts[0] ?? '';
    if (!key || parts.length > 2) throw badRequest('invalid_metadata', `Upload-Metadata: "${pair.trim()}" is not "key base64value"`);
    if (!METADATA_KEYS.has(key)) throw badRequest('unknown_field', `Upload-Metadata: unknown field ${key}`, key);
    if (values.has(key)) throw badRequest('invalid_metadata', `Upload-Metadata: ${key} is given twice`, key);
    values.set(key, decodeValue(key, parts[1] ?? ''));
  }
  const filename = values.get('filename');
  if (filename === undefined) throw badRequest('missing_field', 'Upload-Metadata must name the file (filename)', 'filename');
  const problem = filenameProblem(filename);
  if (problem) throw badRequest('invalid_filename', problem, 'filename');
  values.delete('filename');
  return { filename, fields: Object.fromEntries(values) as Partial<Record<IngestField, string>> };
}

/**
 * The advisory-lock key of an upload: the first 64 bits of its UUID as a signed bigint. Random UUIDs make
 * a clash with another upload, or with the small fixed keys used elsewhere, negligible.
 */
export function lockKey(id: string): string {
  return BigInt.asIntN(64, BigInt(`0x${id.replace(/-/g, '').slice(0, 16)}`)).toString();
}
