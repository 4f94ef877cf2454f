/**
 * An error a caller can act on: a stable machine-readable `code`, the HTTP status it maps to, and the
 * field at fault when there is one. Domain modules throw these; the HTTP layer renders them as
 * application/problem+json.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly field?: string,
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
    this.name = 'AppError';
  }
}

export const badRequest = (code: string, detail: string, field?: string) => new AppError(400, code, detail, field);
export const notFound = (what: string, field?: string) => new AppError(404, 'not_found', `${what} not found`, field);
export const conflict = (code: string, detail: string, field?: string) => new AppError(409, code, detail, field);
export const unprocessable = (code: string, detail: string, field?: string) => new AppError(422, code, detail, field);
