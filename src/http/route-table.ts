import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { z } from 'zod';
import type { Permission } from '../auth/roles';
import { authorize } from './auth';
import { parse, plainPathParams } from './validate';

export type Method = 'get' | 'head' | 'post' | 'put' | 'patch' | 'delete' | 'options';
export type BodyKind = 'json' | 'csv' | 'none';

/** A request body that is not JSON: a CSV upload, a multipart form of footage, or a tus chunk. */
export type RawRequest = 'csv' | 'multipart' | 'tus-chunk';

/**
 * What a successful answer carries: JSON, nothing, a download of a kind, a Range-capable media stream, a
 * bulletin in the format its path names, or tus headers only.
 */
export type ResponseKind = 'json' | 'empty' | 'csv' | 'zip' | 'media' | 'jpeg' | 'bulletin' | 'tus';

/** A route's documentation: what /api/openapi.json says about it (src/http/openapi.ts). */
export interface RouteDoc<Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  /** One line: what the operation does. */
  summary: string;
  description?: string;
  /** The area; by default from the path (see openapi.ts). */
  tag?: string;
  /** The query, parsed by `valid.query()` with this very schema. */
  query?: Q;
  /** The JSON body, parsed by `valid.body()` with this very schema. */
  json?: B;
  /** No body at all counts as `{}`. */
  jsonOptional?: boolean;
  /** A body that is not JSON. */
  raw?: RawRequest;
  /** Path parameters: a description, or the schema a handler checks the value with. Unlisted ones are plain strings. */
  params?: Record<string, string | z.ZodType>;
  /** Request headers the operation reads (tus). */
  headers?: Record<string, { description: string; required?: boolean }>;
  /** Success statuses and what each carries; `{ 200: 'json' }` when absent. */
  responses?: Partial<Record<200 | 201 | 204 | 206, ResponseKind>>;
}

export interface RouteSpec extends RouteDoc {
  method: Method;
  /** Express path, e.g. /api/officers/:badgeNo */
  path: string;
  /** 'public' needs no credentials; anything else names a row of the permission table. */
  permission: Permission | 'public';
  /** What the route parses as its body (the hostile-input tests send each route malformed bodies of its kind). */
  body: BodyKind;
}

export interface RouteInput<Q extends z.ZodType, B extends z.ZodType> extends RouteDoc<Q, B> {
  method: Method;
  path: string;
  permission: Permission | 'public';
}

/**
 * The query and body parsed with the schemas the route registered (so the document and the validation are one
 * schema). Lazy: a handler parses where it always did, after its own 404 checks, and the first problem is a 400.
 */
export interface Valid<Q extends z.ZodType, B extends z.ZodType> {
  query(): z.output<Q>;
  body(): z.output<B>;
}

export type RouteHandler<Q extends z.ZodType, B extends z.ZodType> = (req: Request, res: Response, valid: Valid<Q, B>) => unknown;

const jsonBody = express.json({ limit: '1mb', type: ['application/json', 'application/*+json'] });
const csvBody = express.raw({ limit: '20mb', type: ['text/csv', 'application/csv', 'text/plain', 'application/vnd.ms-excel'] });

/**
 * Registers routes together with the permission that guards each and their documentation, so the role-matrix
 * test can walk every route there is and /api/openapi.json describes each. The body is parsed only after
 * authorization: an anonymous caller costs no parsing.
 */
export class RouteTable {
  readonly routes: RouteSpec[] = [];

  constructor(private readonly router: Router) {}

  add<Q extends z.ZodType = z.ZodNever, B extends z.ZodType = z.ZodNever>(route: RouteInput<Q, B>, handler: RouteHandler<Q, B>): void {
    const { method, path, permission, json, query, jsonOptional } = route;
    const kind: BodyKind = json ? 'json' : route.raw === 'csv' ? 'csv' : 'none';
    this.routes.push({ ...route, body: kind });
    const chain: RequestHandler[] = [];
    if (permission !== 'public') chain.push(authorize(permission));
    if (path.includes(':')) chain.push(plainPathParams);
    if (kind === 'json') chain.push(jsonBody);
    if (kind === 'csv') chain.push(csvBody);
    const valid = (req: Request): Valid<Q, B> => ({
      query: () => {
        if (!query) throw new Error(`${method} ${path} registered no query schema`);
        return parse(query, req.query, 'query');
      },
      body: () => {
        if (!json) throw new Error(`${method} ${path} registered no body schema`);
        return parse(json, jsonOptional ? (req.body ?? {}) : req.body);
      },
    });
    // Returned, so Express 5 sends a rejected promise to the error handler.
    this.router[method](path, ...chain, (req, res) => handler(req, res, valid(req)));
  }
}
