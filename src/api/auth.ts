// API keys: `Authorization: Bearer <key>` (or `?access_token=` where a browser cannot set
// headers, as on a WebSocket). Keys are configured as sha256 hashes. Each route names the
// scope it needs in its config; a run belongs to the key that made it.
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiKeyEntry, ApiScope } from '../config/config.js';
import { ApiError } from './errors.js';

export interface Principal {
  name: string;
  scopes: readonly ApiScope[];
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** The scope a route needs; routes without one are public (health, docs). */
    scope?: ApiScope;
  }
}

/** Everyone is this principal on a server with no keys (which then serves loopback only). */
export const ANONYMOUS: Principal = { name: 'anonymous', scopes: ['runs', 'read', 'admin'] };

export const sha256Hex = (key: string) => createHash('sha256').update(key).digest('hex');

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) return /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
  const token = (request.query as Record<string, unknown> | undefined)?.access_token;
  return typeof token === 'string' ? token : undefined;
}

/** Admins see every run; other keys only their own. */
export const canSee = (principal: Principal, owner: string | undefined) => principal.scopes.includes('admin') || owner === principal.name;

/** Registered with fastify-plugin: its hook covers every route of the app. */
export const authPlugin = fp<{ keys: readonly ApiKeyEntry[] }>(async (app, { keys }) => {
  const byHash = new Map(keys.map((k) => [k.sha256, { name: k.name, scopes: k.scopes }]));
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request) => {
    if (byHash.size === 0) {
      request.principal = ANONYMOUS;
      return;
    }
    const key = presentedKey(request);
    const principal = key ? byHash.get(sha256Hex(key)) : undefined;
    const needed = request.routeOptions.config?.scope;
    if (!needed) return;
    if (!principal) throw new ApiError('unauthorized', key ? 'the API key is not valid' : 'send Authorization: Bearer <API key>');
    // admin includes read and runs; read is needed for GETs, runs for submitting and cancelling.
    if (!principal.scopes.includes(needed) && !principal.scopes.includes('admin')) {
      throw new ApiError('forbidden', `this key lacks the ${needed} scope`);
    }
    request.principal = principal;
  });
});
