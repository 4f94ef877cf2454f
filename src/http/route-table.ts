import express, { type RequestHandler, type Router } from 'express';
import type { Permission } from '../auth/roles';
import { authorize } from './auth';
import { plainPathParams } from './validate';

export type Method = 'get' | 'head' | 'post' | 'put' | 'patch' | 'delete';
export type BodyKind = 'json' | 'csv' | 'none';

export interface RouteSpec {
  method: Method;
  /** Express path, e.g. /api/officers/:badgeNo */
  path: string;
  /** 'public' needs no credentials; anything else names a row of the permission table. */
  permission: Permission | 'public';
  /** What the route parses as its body (the hostile-input tests send each route malformed bodies of its kind). */
  body: BodyKind;
}

const jsonBody = express.json({ limit: '1mb', type: ['application/json', 'application/*+json'] });
const csvBody = express.raw({ limit: '20mb', type: ['text/csv', 'application/csv', 'text/plain', 'application/vnd.ms-excel'] });

/**
 * Registers routes together with the permission that guards each, so the role-matrix test can walk every
 * route there is. The body is parsed only after authorization: an anonymous caller costs no parsing.
 */
export class RouteTable {
  readonly routes: RouteSpec[] = [];

  constructor(private readonly router: Router) {}

  add(method: Method, path: string, permission: Permission | 'public', handler: RequestHandler, body?: BodyKind): void {
    const kind = body ?? (method === 'get' || method === 'head' || method === 'delete' ? 'none' : 'json');
    this.routes.push({ method, path, permission, body: kind });
    const chain: RequestHandler[] = [];
    if (permission !== 'public') chain.push(authorize(permission));
    if (path.includes(':')) chain.push(plainPathParams);
    if (kind === 'json') chain.push(jsonBody);
    if (kind === 'csv') chain.push(csvBody);
    this.router[method](path, ...chain, handler);
  }
}
