// API keys: `Authorization: Bearer <key>` (or `?access_token=` where a browser cannot set
// headers, as on a WebSocket). Keys are configured as sha256 hashes. Each route names the
// scope it needs in its config; a run belongs to the key that made it.
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiKeyEntry, ApiScope } from '../config/config.js';
import type { AuthFailureCounter } from '../store/auth-failures.js';
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
    /**
     * Headers that carry a bare key on this route, looked at when there is no Bearer key: the
     * facades take keys as their clients send them (Judge0's X-Auth-Token, Piston's bare
     * Authorization).
     */
    keyHeaders?: readonly string[];
  }
}

/** Everyone is this principal on a server with no keys (which then serves loopback only). */
export const ANONYMOUS: Principal = { name: 'anonymous', scopes: ['runs', 'read', 'admin'] };

export const sha256Hex = (key: string) => createHash('sha256').update(key).digest('hex');

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const bearer = header ? /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() : undefined;
  if (bearer) return bearer;
  for (const name of request.routeOptions.config?.keyHeaders ?? []) {
    const value = request.headers[name];
    if (typeof value === 'string' && value.trim()) return value.trim();
  }
  if (header) return undefined;
  const token = (request.query as Record<string, unknown> | undefined)?.access_token;
  return typeof token === 'string' ? token : undefined;
}

/** Whether a principal may do what `scope` allows: admin includes read and runs. */
export const hasScope = (principal: Principal, scope: ApiScope) => principal.scopes.includes(scope) || principal.scopes.includes('admin');

/** Admins see every run; other keys only their own. */
export const canSee = (principal: Principal, owner: string | undefined) => principal.scopes.includes('admin') || owner === principal.name;

export interface AuthOptions {
  keys: readonly ApiKeyEntry[];
  /** Failed authentications per client address; without it they are not limited. */
  failures?: AuthFailureCounter;
}

/** Registered with fastify-plugin: its hook covers every route of the app. */
export const authPlugin = fp<AuthOptions>(async (app, { keys, failures }) => {
  const byHash = new Map(keys.map((k) => [k.sha256, { name: k.name, scopes: k.scopes }]));
  app.decorateRequest('principal', null as unknown as Principal);

  /** An address past its failures is refused before its key is looked at, so it learns nothing more. */
  async function refuseIfBlocked(request: FastifyRequest): Promise<void> {
    const blockedMs = failures ? await failures.blockedForMs(request.ip) : 0;
    if (blockedMs > 0)
      throw new ApiError(
        'rate_limited',
        `too many failed authentications from ${request.ip}; retry in ${Math.ceil(blockedMs / 1000)} s`,
        blockedMs / 1000,
      );
  }

  async function fail(request: FastifyRequest, reason: string): Promise<never> {
    // The address and the route, never the key.
    request.log.warn({ address: request.ip, route: `${request.method} ${request.routeOptions.url}`, reason }, 'authentication failed');
    await failures?.record(request.ip);
    throw new ApiError('unauthorized', reason);
  }

  app.addHook('onRequest', async (request) => {
    if (byHash.size === 0) {
      request.principal = ANONYMOUS;
      return;
    }
    const needed = request.routeOptions.config?.scope;
    if (!needed) return; // health and docs stay open
    await refuseIfBlocked(request);
    const key = presentedKey(request);
    const principal = key ? byHash.get(sha256Hex(key)) : undefined;
    if (!principal) return fail(request, key ? 'the API key is not valid' : 'send Authorization: Bearer <API key>');
    // read is needed for GETs, runs for submitting and cancelling.
    if (!hasScope(principal, needed)) {
      throw new ApiError('forbidden', `this key lacks the ${needed} scope`);
    }
    request.principal = principal;
  });
});
