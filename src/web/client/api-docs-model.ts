// What the API documentation page shows, read from /api/openapi.json: the operations grouped by tag, in the
// document's order. Only the parts of OpenAPI 3.1 the server's generator writes (src/http/openapi.ts).

export interface ApiParameter {
  name: string;
  in: string;
  required: boolean;
  description?: string;
  schema?: unknown;
}

export interface ApiOperation {
  method: string;
  path: string;
  summary: string;
  description: string;
  permission: string;
  parameters: ApiParameter[];
  /** Content type → schema, of the request body. */
  body: { type: string; schema: unknown }[];
  bodyRequired: boolean;
  /** Status → content types of the answer. */
  responses: { status: string; description: string; types: string[] }[];
}

export interface ApiTag {
  name: string;
  description: string;
  operations: ApiOperation[];
}

interface OpenApiDocument {
  info?: { title?: string; version?: string };
  tags?: { name: string; description?: string }[];
  paths?: Record<string, Record<string, Record<string, unknown>>>;
}

const METHOD_ORDER = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options'];

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' ? (v as Obj) : {});

export function groupOperations(doc: OpenApiDocument): ApiTag[] {
  const tags = new Map<string, ApiTag>();
  for (const t of doc.tags ?? []) tags.set(t.name, { name: t.name, description: t.description ?? '', operations: [] });
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    for (const method of METHOD_ORDER) {
      const op = ops[method];
      if (!op) continue;
      const tag = ((op.tags as string[] | undefined) ?? ['Other'])[0]!;
      if (!tags.has(tag)) tags.set(tag, { name: tag, description: '', operations: [] });
      const requestBody = obj(op.requestBody);
      tags.get(tag)!.operations.push({
        method,
        path,
        summary: String(op.summary ?? ''),
        description: String(op.description ?? ''),
        permission: String(op['x-permission'] ?? ''),
        parameters: ((op.parameters as ApiParameter[] | undefined) ?? []).map((p) => ({ ...p, required: p.required === true })),
        body: Object.entries(obj(requestBody.content)).map(([type, c]) => ({ type, schema: obj(c).schema })),
        bodyRequired: requestBody.required === true,
        responses: Object.entries(obj(op.responses)).map(([status, r]) => ({
          status,
          description: String(obj(r).description ?? ''),
          types: Object.keys(obj(obj(r).content)).concat(obj(r).$ref ? ['application/problem+json'] : []),
        })),
      });
    }
  }
  return [...tags.values()].filter((t) => t.operations.length > 0);
}

/** A parameter's schema in a few words: `integer 1–500, default 100`, `one of: poster, sprite`. */
export function schemaBrief(schema: unknown): string {
  const s = obj(schema);
  if (Array.isArray(s.enum)) return `one of: ${s.enum.join(', ')}`;
  const type = Array.isArray(s.type) ? s.type.join(' | ') : String(s.type ?? 'any');
  const parts = [type];
  if (s.minimum !== undefined || s.maximum !== undefined) parts[0] = `${type} ${s.minimum ?? ''}–${s.maximum ?? ''}`;
  if (typeof s.pattern === 'string') parts.push(`pattern ${s.pattern}`);
  if (typeof s.maxLength === 'number') parts.push(`at most ${s.maxLength} characters`);
  if (s.default !== undefined) parts.push(`default ${JSON.stringify(s.default)}`);
  return parts.join(', ');
}
