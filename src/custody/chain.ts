import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with keys sorted at every depth and no white space, so any implementation can recompute a hash. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('canonical JSON has no NaN or Infinity');
    return JSON.stringify(value);
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export interface ChainedFields {
  seq: number;
  /** ISO 8601 UTC with milliseconds. */
  at: string;
  actor: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
}

/** hash = SHA-256(prevHash + canonical JSON of {seq, at, actor, action, target, detail}), lowercase hex. */
export function eventHash(prevHash: string, event: ChainedFields): string {
  const { seq, at, actor, action, target, detail } = event;
  return createHash('sha256')
    .update(prevHash + canonicalJson({ seq, at, actor, action, target, detail }), 'utf8')
    .digest('hex');
}
