// openapi.yaml is generated from the routes (npm run openapi); these tests keep the
// committed file equal to what the app serves, and every route in it.
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { parse } from 'yaml';
import { streamFrameSchemas } from '../../../src/api/stream-frames.js';
import { buildInertApp } from '../../helpers/inert-app.js';

const committedPath = new URL('../../../openapi.yaml', import.meta.url);
const isDocsRoute = (url: string) => url === '/docs' || url.startsWith('/docs/');
/** Fastify's /runs/:id is OpenAPI's /runs/{id}; a trailing wildcard is documented as {path}. */
const openapiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\/\*$/, '/{path}');

t.test('openapi.yaml equals the document the app generates (run `npm run openapi` after changing a route)', async (t) => {
  const { app } = await buildInertApp();
  t.teardown(() => app.close());
  const generated = parse(app.swagger({ yaml: true }));
  const committed = parse(await readFile(committedPath, 'utf8'));
  t.same(committed, generated, 'openapi.yaml is out of date: run `npm run openapi` and commit the result');
});

t.test('openapi.yaml documents every registered route but /docs, with its method', async (t) => {
  const { app, routes } = await buildInertApp();
  t.teardown(() => app.close());
  const { paths } = parse(await readFile(committedPath, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
  const gets = new Set(routes.filter((r) => r.method === 'GET').map((r) => r.url));
  // Fastify adds a HEAD route to every GET route; those are not API operations of their own.
  const apiRoutes = routes.filter((r) => !isDocsRoute(r.url) && !(r.method === 'HEAD' && gets.has(r.url)));
  t.ok(apiRoutes.length >= 7, `found the API routes (${apiRoutes.length})`);
  for (const { method, url } of apiRoutes) {
    t.ok(paths[openapiPath(url)]?.[method.toLowerCase()], `${method} ${openapiPath(url)} is in openapi.yaml`);
  }
  const documented = Object.keys(paths);
  t.notOk(documented.some(isDocsRoute), 'the /docs routes are not in the document');
});

t.test('openapi.yaml holds the contract parts clients rely on', async (t) => {
  const doc = parse(await readFile(committedPath, 'utf8'));
  const expected: [string, string][] = [
    ['/runs', 'post'],
    ['/runs/{id}', 'get'],
    ['/runs/{id}', 'delete'],
    ['/runs/{id}/stream', 'get'],
    ['/runtimes', 'get'],
    ['/healthz', 'get'],
    ['/readyz', 'get'],
  ];
  for (const [path, method] of expected) t.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path}`);
  const titles = Object.values(doc.components.schemas as Record<string, { title?: string }>).map((s) => s.title);
  t.ok(titles.includes('Error'), 'the error schema is a component');
  t.ok(titles.includes('RunRecord'), 'the run record is a component');
  t.match(doc.paths['/runs'].post.responses['400'].content['application/json'].schema.required, ['statusCode', 'error', 'code', 'message']);
  t.ok(doc.paths['/runs/{id}/stream'].get.responses['101'], 'the stream answers 101 Switching Protocols');
  const frames = doc['x-websocket-frames']['/runs/{id}/stream'];
  t.same(
    frames.server.oneOf.map((r: { $ref: string }) => r.$ref.split('/').pop()),
    ['StreamStatusFrame', 'StreamOutputFrame', 'StreamEndFrame'],
  );
  t.same(
    frames.client.oneOf.map((r: { $ref: string }) => r.$ref.split('/').pop()),
    ['StreamStdinFrame', 'StreamEofFrame', 'StreamCancelFrame'],
  );
  for (const ref of [...frames.server.oneOf, ...frames.client.oneOf]) {
    t.ok(doc.components.schemas[ref.$ref.split('/').pop()], `${ref.$ref} resolves`);
  }
});

// Taken before any test here generates a document.
const frameSchemasAtStart = JSON.stringify(streamFrameSchemas);

t.test('generating the document leaves the frame schemas the stream route checks frames by as they were', async (t) => {
  const { app } = await buildInertApp();
  t.teardown(() => app.close());
  app.swagger();
  t.equal(JSON.stringify(streamFrameSchemas), frameSchemasAtStart);
});

t.test('GET /docs answers 200 with the HTML page', async (t) => {
  const { app } = await buildInertApp();
  t.teardown(() => app.close());
  const reply = await app.inject({ method: 'GET', url: '/docs' });
  t.equal(reply.statusCode, 200);
  t.match(reply.headers['content-type'], /^text\/html/);
  t.match(reply.body, /<html/i);
});
