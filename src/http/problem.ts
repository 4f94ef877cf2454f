import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { AppError } from '../errors';
import { StorageNotFoundError, StorageUnavailableError } from '../../storage/object-store';
import type { Logger } from '../logger';
import { countProblem } from '../metrics/record';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  410: 'Gone',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function sendProblem(res: Response, status: number, code: string, detail: string, field?: string): void {
  countProblem(res.req, status, code);
  res
    .status(status)
    .type('application/problem+json')
    .send(JSON.stringify({ type: `urn:bodycam:problem:${code}`, title: TITLES[status] ?? 'Error', status, code, detail, ...(field ? { field } : {}) }));
}

export const notFoundHandler: RequestHandler = (req, res) => sendProblem(res, 404, 'not_found', `no route for ${req.method} ${req.path}`);

/** Renders every error as application/problem+json; nothing internal (stacks, SQL) reaches the client. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (res.headersSent) {
      // Mid-stream (a store that failed while serving a file): the client sees a cut connection; say why here.
      logger.warn({ err, method: req.method, url: req.originalUrl }, 'response failed after its headers were sent');
      res.destroy(err instanceof Error ? err : undefined);
      return;
    }
    // Refused before its body was read (a 4 GB file that is not video): answer now and close, rather than
    // read the rest for nothing.
    if (!req.complete) res.setHeader('Connection', 'close');
    if (err instanceof AppError) {
      for (const [k, v] of Object.entries(err.headers ?? {})) res.setHeader(k, v);
      sendProblem(res, err.status, err.code, err.message, err.field);
      return;
    }
    if (err instanceof StorageUnavailableError) {
      logger.warn({ err }, 'storage unavailable');
      res.setHeader('Retry-After', '30');
      sendProblem(res, 503, 'storage_unavailable', 'the evidence store is unavailable; try again later');
      return;
    }
    // The catalog names a file the store does not have: an integrity fault, told plainly and logged loudly.
    if (err instanceof StorageNotFoundError) {
      logger.error({ err, key: err.key, url: req.originalUrl }, 'object missing from the store');
      sendProblem(res, 500, 'object_missing', 'the stored file is missing; the incident has been logged');
      return;
    }
    // body-parser's errors carry a status and a type; they are the client's fault.
    const status = typeof err?.status === 'number' ? err.status : 500;
    if (status === 400 && err.type === 'entity.parse.failed') return sendProblem(res, 400, 'malformed_json', 'the body is not valid JSON');
    if (status === 413) return sendProblem(res, 413, 'too_large', 'the request body is too large');
    if (status === 415) return sendProblem(res, 415, 'unsupported_media_type', String(err.message ?? 'unsupported content type'));
    if (status >= 400 && status < 500) return sendProblem(res, status, 'bad_request', 'the request cannot be read');
    if (isDatabaseDown(err)) {
      logger.error({ err }, 'database unavailable');
      res.setHeader('Retry-After', '10');
      return sendProblem(res, 503, 'database_unavailable', 'the catalog database is unavailable; try again later');
    }
    logger.error({ err, method: req.method, url: req.originalUrl }, 'unhandled error');
    sendProblem(res, 500, 'internal', 'an internal error occurred; it has been logged');
  };
}

function isDatabaseDown(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  const message = String((err as Error)?.message ?? '');
  return (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' || // the server's host went away under an open connection
    code === '57P01' || // admin_shutdown (pg_ctl stop -m fast, or -m immediate when the message gets out)
    code === '57P02' || // crash_shutdown: another server process crashed, every session is ended
    code === '57P03' || // cannot_connect_now (starting up, shutting down, in recovery)
    (typeof code === 'string' && code.startsWith('08')) || // connection exceptions
    /Connection terminated|timeout exceeded when trying to connect|not queryable/i.test(message)
  );
}
