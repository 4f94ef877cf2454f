import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PERMISSIONS } from '../auth/roles';
import { INGEST_FIELDS } from '../ingest/types';
import { projectRoot } from '../paths';
import { SESSION_COOKIE } from './auth';
import type { ResponseKind, RouteSpec, RouteTable } from './route-table';

/*
 * The whole API as OpenAPI 3.1, built from the route table: every registered route with the zod schemas its
 * handler parses with (RouteTable's `valid`), so what the document says a request may be is what the server
 * accepts. Response bodies are described by kind (JSON, a download, media), not field by field.
 */

type Json = Record<string, unknown>;

const OPENAPI_PATH = '/api/openapi.json';

const TAGS: { name: string; description: string; areas: string[] }[] = [
  { name: 'Auth', description: 'Logging in and out; who the caller is.', areas: ['auth'] },
  { name: 'Directory', description: 'Units, officers, recorders, user accounts and machine tokens; the bureau’s spreadsheet.', areas: ['units', 'officers', 'recorders', 'users', 'directory'] },
  { name: 'Recordings', description: 'Footage: upload, search, play, download, marks and holds.', areas: ['recordings', 'dockings'] },
  { name: 'Uploads', description: 'Resumable uploads (tus 1.0.0: core, creation, termination); a finished upload becomes a recording.', areas: ['uploads'] },
  { name: 'Cases', description: 'Penalty cases from the case system, their activities and links to footage.', areas: ['cases'] },
  { name: 'Evidence', description: 'A case’s evidence package.', areas: [] },
  { name: 'Custody', description: 'The hash-chained custody log.', areas: ['custody'] },
  { name: 'Retention', description: 'Retention dry runs and legal holds.', areas: ['retention', 'holds'] },
  { name: 'Compliance', description: 'Continuous compliance, spot checks, verdicts and bulletins.', areas: ['compliance', 'spot-checks', 'bulletins'] },
  { name: 'Integrity', description: 'The audit of stored originals.', areas: ['integrity'] },
  { name: 'Meta', description: 'This document.', areas: ['openapi.json'] },
];

/** The area of a route: its tag, or the one its first path segment after /api belongs to. */
export function tagOf(route: Pick<RouteSpec, 'path' | 'tag'>): string {
  if (route.tag) return route.tag;
  const area = route.path.split('/')[2] ?? '';
  return TAGS.find((t) => t.areas.includes(area))?.name ?? area.charAt(0).toUpperCase() + area.slice(1);
}

/** Express `/api/bulletins/:id.:format` → OpenAPI `/api/bulletins/{id}.{format}`. */
export const openApiPath = (expressPath: string) => expressPath.replace(/:([A-Za-z][A-Za-z0-9_]*)/g, '{$1}');

const pathParamNames = (expressPath: string) => [...expressPath.matchAll(/:([A-Za-z][A-Za-z0-9_]*)/g)].map((m) => m[1]!);

/** A zod schema as the JSON Schema of what a client sends (the input side of transforms). */
export function jsonSchemaOf(schema: z.ZodType): Json {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
}

function operationId(route: RouteSpec): string {
  const words = route.path.replace(/^\/api\//, '').split(/[^A-Za-z0-9]+/).filter(Boolean);
  return route.method + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/** Who holds a permission, and how far: e.g. "admin (all), supervisor (own unit)". */
function holders(permission: RouteSpec['permission']): string {
  if (permission === 'public') return 'anyone, without credentials';
  const reach = { all: 'whole bureau', scope: 'own unit', own: 'own footage' } as const;
  return Object.entries(PERMISSIONS[permission])
    .map(([role, r]) => `${role} (${reach[r as keyof typeof reach]})`)
    .join(', ');
}

function parameters(route: RouteSpec): Json[] {
  const out: Json[] = [];
  for (const name of pathParamNames(route.path)) {
    const given = route.params?.[name];
    const schema = given === undefined || typeof given === 'string' ? { type: 'string' } : jsonSchemaOf(given);
    const description = typeof given === 'string' ? given : (schema.description as string | undefined);
    out.push({ name, in: 'path', required: true, schema, ...(description ? { description } : {}) });
  }
  if (route.query) {
    const q = jsonSchemaOf(route.query);
    const required = new Set((q.required as string[] | undefined) ?? []);
    for (const [name, schema] of Object.entries((q.properties as Record<string, Json> | undefined) ?? {})) {
      const description = schema.description as string | undefined;
      out.push({ name, in: 'query', required: required.has(name), schema, ...(description ? { description } : {}) });
    }
  }
  for (const [name, h] of Object.entries(route.headers ?? {})) {
    out.push({ name, in: 'header', required: h.required === true, description: h.description, schema: { type: 'string' } });
  }
  return out;
}

const binary = { type: 'string', contentMediaType: 'application/octet-stream' };

function requestBody(route: RouteSpec): Json | undefined {
  if (route.json) {
    return { required: route.jsonOptional !== true, content: { 'application/json': { schema: jsonSchemaOf(route.json) } } };
  }
  switch (route.raw) {
    case 'csv':
      return { required: true, description: 'UTF-8, or GB18030 as Excel saves it', content: { 'text/csv': { schema: { type: 'string' } } } };
    case 'multipart':
      return {
        required: true,
        description: 'Text fields first, then one or more parts named `file`; the fields describe the files after them.',
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              properties: { ...Object.fromEntries(INGEST_FIELDS.map((f) => [f, { type: 'string' }])), file: { type: 'array', items: binary } },
              required: ['file'],
            },
          },
        },
      };
    case 'tus-chunk':
      return { required: true, content: { 'application/offset+octet-stream': { schema: binary } } };
    default:
      return undefined;
  }
}

const header = (description: string) => ({ description, schema: { type: 'string' } });

function success(kind: ResponseKind, status: number): Json {
  const described = (description: string, rest: Json = {}) => ({ description, ...rest });
  switch (kind) {
    case 'json':
      return described(status === 201 ? 'Created' : 'OK', { content: { 'application/json': { schema: { type: 'object' } } } });
    case 'empty':
      return described('No content');
    case 'csv':
      return described('CSV', { content: { 'text/csv': { schema: { type: 'string' } } } });
    case 'zip':
      return described('The evidence package, streamed', {
        headers: { 'Content-Disposition': header('attachment; the case number as file name'), 'X-Custody-Head': header('the custody log head the manifest is signed against') },
        content: { 'application/zip': { schema: binary } },
      });
    case 'media':
    case 'jpeg': {
      const types = kind === 'jpeg' ? ['image/jpeg'] : ['video/mp4', 'audio/mp4', 'application/octet-stream'];
      const headers: Json = { 'Accept-Ranges': header('bytes'), ETag: header('identifies these bytes') };
      if (status === 206) headers['Content-Range'] = header('the byte range sent');
      return described(status === 206 ? 'Partial content (the Range asked for)' : 'The whole file', {
        headers,
        content: Object.fromEntries(types.map((t) => [t, { schema: binary }])),
      });
    }
    case 'bulletin':
      return described('The bulletin in the format the path names', {
        headers: { 'X-Custody-Head': header('the custody log head when it was issued'), 'X-Replaced-By': header('the bulletin that replaces this one, if any') },
        content: { 'text/html': { schema: { type: 'string' } }, 'application/pdf': { schema: binary }, 'text/csv': { schema: { type: 'string' } } },
      });
    case 'tus':
      return described('tus headers, no body', {
        headers: {
          'Tus-Resumable': header('1.0.0'),
          ...(status === 201 ? { Location: header('the upload’s URL') } : {}),
          ...(status === 200 || status === 204 ? { 'Upload-Offset': header('bytes received so far') } : {}),
          'X-Recording-Id': header('once complete: the recording the upload became'),
        },
      });
  }
}

function responses(route: RouteSpec): Json {
  const out: Json = {};
  for (const [status, kind] of Object.entries(route.responses ?? { 200: 'json' }) as [string, ResponseKind][]) out[status] = success(kind, Number(status));
  const problem = (description: string) => ({ $ref: '#/components/responses/Problem', description });
  if (route.json || route.query || route.raw || route.params) out['400'] = problem('The request is malformed: the problem names the field');
  if (route.permission !== 'public') {
    out['401'] = problem('No valid credentials');
    out['403'] = problem('The caller’s role may not do this, or the thing is outside their scope');
  }
  if (pathParamNames(route.path).length) out['404'] = problem('No such thing');
  out.default = problem('Any other error, as application/problem+json with a stable code');
  return out;
}

function operation(route: RouteSpec): Json {
  const permission = route.permission === 'public' ? 'Public.' : `Permission \`${route.permission}\`: ${holders(route.permission)}.`;
  const params = parameters(route);
  const body = requestBody(route);
  return {
    operationId: operationId(route),
    summary: route.summary,
    description: [route.description, permission].filter(Boolean).join('\n\n'),
    tags: [tagOf(route)],
    'x-permission': route.permission,
    ...(params.length ? { parameters: params } : {}),
    ...(body ? { requestBody: body } : {}),
    responses: responses(route),
    security: route.permission === 'public' ? [] : [{ bearerToken: [] }, { sessionCookie: [] }],
  };
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** The OpenAPI 3.1 document of these routes. */
export function buildOpenApi(routes: readonly RouteSpec[], version = packageVersion()): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    (paths[openApiPath(route.path)] ??= {})[route.method] = operation(route);
  }
  const used = new Set(routes.map(tagOf));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Bodycam Evidence API',
      version,
      description:
        'Body-worn-camera footage: docking, processing, spot checks and evidence retrieval. Errors are `application/problem+json` with a stable `code`. Authenticate with a bearer token (API tokens of machine accounts, or the token login answers) or the session cookie (a request that changes something with the cookie also sends `X-Requested-With`).',
    },
    servers: [{ url: '/' }],
    tags: [...TAGS.filter((t) => used.has(t.name)).map(({ name, description }) => ({ name, description })), ...[...used].filter((t) => !TAGS.some((k) => k.name === t)).map((name) => ({ name }))],
    paths,
    components: {
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'code', 'detail'],
          properties: {
            type: { type: 'string', examples: ['urn:bodycam:problem:invalid_field'] },
            title: { type: 'string' },
            status: { type: 'integer' },
            code: { type: 'string', description: 'stable, for programs to act on', examples: ['invalid_field'] },
            detail: { type: 'string', description: 'for people' },
            field: { type: 'string', description: 'the field or parameter at fault, when there is one' },
          },
        },
      },
      responses: {
        Problem: { description: 'A problem', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
      },
      securitySchemes: {
        bearerToken: { type: 'http', scheme: 'bearer', description: 'A session token from POST /api/auth/login, or a machine account’s API token.' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'Set by POST /api/auth/login; a request that changes something with it also sends `X-Requested-With`.' },
      },
    },
  };
}

/** Serves the document at /api/openapi.json, built once on first request (when every route is registered). */
export function openApiRoutes(routes: RouteTable): void {
  let document: string | undefined;
  routes.add(
    { method: 'get', path: OPENAPI_PATH, permission: 'public', summary: 'This document: the whole API as OpenAPI 3.1', responses: { 200: 'json' } },
    (_req, res) => {
      document ??= JSON.stringify(buildOpenApi(routes.routes));
      res.type('application/json').set('Cache-Control', 'no-cache').send(document);
    },
  );
}
