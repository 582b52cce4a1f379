// GET / (the playground page) and GET /playground/{file} (its script, styles and the
// features it may offer). Public like /docs: the page holds no data, and every call it
// makes needs the key its user types in. Scripts only from this origin (no inline script).
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { ApiError } from '../errors.js';
import type { Asset } from '../playground-assets.js';

/**
 * Scripts only from this origin, none inline; connections (fetch, WebSocket), fonts and
 * images only to it; no plugins, no frames, no forms, no <base>. Styles may also be inline:
 * CodeMirror and xterm.js add their stylesheets as <style> elements (xterm.js offers no
 * nonce), and the page sets every text it shows as text, never as markup.
 */
export const PLAYGROUND_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** What the page may offer besides runs and judging; its tabs follow this. */
export interface PlaygroundFeatures {
  /** A terminal on a session: the session routes exist on this server. */
  terminal: boolean;
}

export interface PlaygroundOptions {
  /** The built files; undefined when the playground was not built. */
  assets: Map<string, Asset> | undefined;
  features: () => PlaygroundFeatures;
}

const notBuilt = () => new ApiError('not_found', 'the playground is not built on this server: run `npm run build`');

function send(reply: FastifyReply, ifNoneMatch: string | undefined, asset: Asset) {
  reply
    .header('content-security-policy', PLAYGROUND_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    // Revalidated each time: a rebuilt playground is seen at the next load.
    .header('cache-control', 'no-cache')
    .header('etag', asset.etag);
  if (ifNoneMatch === asset.etag) return reply.code(304).send();
  return reply.type(asset.type).send(asset.body);
}

const page = { type: 'string', description: 'the file' } as const;

export const playgroundRoutes: FastifyPluginAsync<PlaygroundOptions> = async (app, { assets, features }) => {
  app.get(
    '/',
    { schema: { summary: 'The playground page (HTML)', tags: ['playground'], response: { 200: page } } },
    async (request, reply) => {
      const index = assets?.get('index.html');
      if (!index) throw notBuilt();
      return send(reply, request.headers['if-none-match'], index);
    },
  );

  app.get(
    '/playground/features.json',
    {
      schema: {
        summary: 'What the playground may offer on this server',
        tags: ['playground'],
        response: { 200: { type: 'object', properties: { terminal: { type: 'boolean' } }, required: ['terminal'] } },
      },
    },
    async (_request, reply) => reply.header('cache-control', 'no-cache').send(features()),
  );

  app.get<{ Params: { file: string } }>(
    '/playground/:file',
    {
      schema: {
        summary: "A file of the playground's page (script, styles)",
        tags: ['playground'],
        params: { type: 'object', properties: { file: { type: 'string', maxLength: 128 } }, required: ['file'] },
        response: { 200: page },
      },
    },
    async (request, reply) => {
      if (!assets) throw notBuilt();
      const asset = assets.get(request.params.file);
      if (!asset) throw new ApiError('not_found', `no playground file ${request.params.file}`);
      return send(reply, request.headers['if-none-match'], asset);
    },
  );
};
