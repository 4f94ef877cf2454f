/**
 * Why something failed, in the terms a retry decision and a station script need:
 * - network: no answer (refused, reset, timed out): retry, the upload resumes
 * - server: 5xx: retry
 * - busy: 423 locked, 409 offset mismatch, 429: retry, the server asks us to come back
 * - expired: 404/410 for an upload URL: the server forgot an unfinished upload; retry starts it afresh
 * - auth: 401/403: the token is wrong or revoked; stop everything (exit 3)
 * - rejected: any other 4xx (400, 413, 415, 422): the content or request is refused; retrying cannot help
 * - verify: the server's SHA-256 differs from ours, or it does not know the file after the upload
 * - read: the file could not be read on the recorder
 * - changed: the file changed between hashing and uploading (a recorder still writing?)
 * - aborted: stopped by us (interrupt, or another file's auth failure)
 */
export type FailureKind = 'network' | 'server' | 'busy' | 'expired' | 'auth' | 'rejected' | 'verify' | 'read' | 'changed' | 'aborted';

const RETRYABLE: ReadonlySet<FailureKind> = new Set(['network', 'server', 'busy', 'expired']);

export class DockError extends Error {
  readonly kind: FailureKind;
  readonly status?: number;
  readonly code?: string;

  constructor(kind: FailureKind, message: string, extra: { status?: number; code?: string } = {}) {
    super(message);
    this.name = 'DockError';
    this.kind = kind;
    this.status = extra.status;
    this.code = extra.code;
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }
}

/** Which kind an HTTP status is. `forUpload`: a 404/410 means the upload URL expired, not a wrong server. */
export function kindOfStatus(status: number, forUpload: boolean): FailureKind {
  if (status === 401 || status === 403) return 'auth';
  if (status >= 500) return 'server';
  if (status === 409 || status === 423 || status === 429) return 'busy';
  if (forUpload && (status === 404 || status === 410)) return 'expired';
  return 'rejected';
}

/**
 * An error from an HTTP answer, its message taken from the problem+json body when there is one
 * (`422 unknown_officer: no officer 100001`), so the summary says what the server said.
 */
export function httpError(status: number, body: string, forUpload: boolean, what: string): DockError {
  let code: string | undefined;
  let detail: string | undefined;
  try {
    const problem = JSON.parse(body) as { code?: unknown; detail?: unknown; title?: unknown };
    if (typeof problem.code === 'string') code = problem.code;
    if (typeof problem.detail === 'string') detail = problem.detail;
    else if (typeof problem.title === 'string') detail = problem.title;
  } catch {
    const text = body.trim();
    if (text && text.length <= 200 && !text.startsWith('<')) detail = text;
  }
  const explained = [code, detail].filter(Boolean).join(': ');
  return new DockError(kindOfStatus(status, forUpload), `${what}: ${status}${explained ? ` ${explained}` : ''}`, { status, code });
}

/** A failure to get any answer at all (fetch's TypeError hides the reason in `cause`). */
export function networkError(err: unknown, what: string): DockError {
  const cause = (err as { cause?: unknown })?.cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? (err as NodeJS.ErrnoException | undefined)?.code;
  const message = (cause as Error | undefined)?.message ?? (err as Error | undefined)?.message ?? String(err);
  return new DockError('network', `${what}: ${code && !message.includes(code) ? `${code} ` : ''}${message}`, { code });
}
