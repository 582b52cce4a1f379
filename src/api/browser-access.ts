// What web pages may do with the API. Pages of the API's own origin (the playground) and of
// the origins in CORS_ORIGINS may call it (CORS, through @fastify/cors) and open its
// WebSockets; pages of other origins may do neither. CORS does not cover WebSockets, but a
// browser always sends the page's Origin on one, so an upgrade naming another origin is
// refused (clients that are not browsers send none). Without API keys the API serves loopback
// only, and then only under a loopback host name: a page that rebinds its own name to
// 127.0.0.1 (DNS rebinding) gets a 403.
import cors from '@fastify/cors';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from './errors.js';
import { REQUEST_ID_HEADER } from './request-id.js';

export interface BrowserAccessOptions {
  /** Origins whose pages may call the API (CORS_ORIGINS); none: only the API's own pages. */
  origins: readonly string[];
  /** Whether API keys are configured; without them only loopback host names are answered. */
  keyed: boolean;
}

const LOOPBACK_HOST = /^(localhost|[a-z0-9-]+\.localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])$/i;

/** The host name of a Host header, without its port. */
export function hostName(host: string | undefined): string {
  if (!host) return '';
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d*$/, '');
}

export const isLoopbackHost = (host: string | undefined) => LOOPBACK_HOST.test(hostName(host));

/** A page's origin is the API's own when it names the host (and port) the request was sent to. */
function isSameOrigin(origin: string, request: FastifyRequest): boolean {
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

export const browserAccessPlugin = fp<BrowserAccessOptions>(async (app, { origins, keyed }) => {
  if (origins.length > 0) {
    await app.register(cors, {
      origin: [...origins],
      methods: ['GET', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', REQUEST_ID_HEADER],
      exposedHeaders: ['location', 'retry-after', REQUEST_ID_HEADER, 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'],
      maxAge: 600,
    });
  }
  app.addHook('onRequest', async (request) => {
    // A browser always names the host; a request without Host (HTTP/1.0) is no page's.
    const host = request.headers.host;
    if (!keyed && host !== undefined && !isLoopbackHost(host)) {
      throw new ApiError('forbidden', 'without API keys this server answers only to a loopback host name (localhost, 127.0.0.1, [::1])');
    }
    const origin = request.headers.origin;
    if (request.headers.upgrade?.toLowerCase() === 'websocket' && origin && !isSameOrigin(origin, request) && !origins.includes(origin)) {
      throw new ApiError('forbidden', `pages of ${origin} may not open WebSockets here (CORS_ORIGINS)`);
    }
  });
});
