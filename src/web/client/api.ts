// The one way the browser talks to the API: same-origin fetch with the session cookie, the CSRF header on
// every request, problem+json turned into ApiError.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly field?: string,
  ) {
    super(detail);
  }
}

/** Called when the session has ended (expired, revoked): the app goes back to the login page. */
let onUnauthenticated: () => void = () => {};
export const setUnauthenticatedHandler = (fn: () => void) => {
  onUnauthenticated = fn;
};

type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

async function request<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
  const headers: Record<string, string> = { 'X-Requested-With': 'bce-web', Accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (body !== undefined) {
    headers['Content-Type'] = contentType;
    payload = typeof body === 'string' || body instanceof Blob ? body : JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'network', '');
  }
  if (res.status === 401 && path !== '/api/auth/login') onUnauthenticated();
  if (!res.ok) {
    let problem: { code?: string; detail?: string; field?: string } = {};
    try {
      problem = await res.json();
    } catch {
      /* not problem+json: a proxy's error page */
    }
    throw new ApiError(res.status, problem.code ?? `http_${res.status}`, problem.detail ?? res.statusText, problem.field);
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? res.json() : res.text()) as Promise<T>;
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>('GET', withQuery(path, query)),
  post: <T>(path: string, body?: unknown, contentType?: string) => request<T>('POST', path, body, contentType),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, body),
  del: <T>(path: string, query?: Query) => request<T>('DELETE', withQuery(path, query)),
};

/** Media and downloads load by plain URL: the cookie authenticates them (API.md). */
export const mediaUrl = {
  proxy: (id: string) => `/api/recordings/${encodeURIComponent(id)}/proxy`,
  original: (id: string) => `/api/recordings/${encodeURIComponent(id)}/original`,
  poster: (id: string) => `/api/recordings/${encodeURIComponent(id)}/thumbnail`,
  sprite: (id: string) => `/api/recordings/${encodeURIComponent(id)}/thumbnail?kind=sprite`,
  export: (caseNo: string) => `/api/cases/${encodeURIComponent(caseNo)}/export`,
  bulletin: (id: string, format: 'pdf' | 'html' | 'csv') => `/api/bulletins/${encodeURIComponent(id)}.${format}`,
};
