// GET / and GET /playground/{file}: the built page and its files from memory, each with the
// page's Content-Security-Policy; a clear 404 where it was not built or is turned off; the
// terminal tab offered only where the session routes exist.
import t from 'tap';
import { loadConfig } from '../../../../src/config/config.js';
import { PLAYGROUND_CSP } from '../../../../src/api/routes/playground.js';
import type { Asset } from '../../../../src/api/playground-assets.js';
import { buildInertApp } from '../../../helpers/inert-app.js';

const asset = (body: string, type: string): Asset => ({ body: Buffer.from(body), type, etag: `"${body.length}"` });
const assets = new Map([
  ['index.html', asset('<!doctype html><title>runbox</title>', 'text/html; charset=utf-8')],
  ['playground.js', asset('console.log(1)', 'text/javascript; charset=utf-8')],
]);

t.test('/ is the page, with its CSP; its files are served by name', async (t) => {
  const { app } = await buildInertApp({ playgroundAssets: assets });
  t.teardown(() => app.close());
  const page = await app.inject('/');
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.equal(page.body, '<!doctype html><title>runbox</title>');
  t.equal(page.headers['content-security-policy'], PLAYGROUND_CSP);
  t.match(PLAYGROUND_CSP, /script-src 'self'(;|$)/, 'scripts only from this origin, none inline');
  t.notMatch(PLAYGROUND_CSP, /unsafe-eval/);
  t.equal(page.headers['x-content-type-options'], 'nosniff');
  const script = await app.inject('/playground/playground.js');
  t.equal(script.statusCode, 200);
  t.match(script.headers['content-type'], /^text\/javascript/);
  t.equal(script.headers['content-security-policy'], PLAYGROUND_CSP);
  const again = await app.inject({ url: '/playground/playground.js', headers: { 'if-none-match': script.headers.etag as string } });
  t.equal(again.statusCode, 304, 'revalidated by its ETag');
});

t.test('a file the build did not make is a 404, and no path reaches the file system', async (t) => {
  const { app } = await buildInertApp({ playgroundAssets: assets });
  t.teardown(() => app.close());
  for (const url of [
    '/playground/nothing.js',
    '/playground/..%2Fpackage.json',
    '/playground/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/playground/../../package.json',
  ]) {
    const reply = await app.inject(url);
    t.equal(reply.statusCode, 404, url);
    t.equal(reply.json().code, 'not_found');
  }
});

t.test('not built: / says how to build it', async (t) => {
  const { app } = await buildInertApp({ playgroundAssets: undefined });
  t.teardown(() => app.close());
  const reply = await app.inject('/');
  t.equal(reply.statusCode, 404);
  t.match(reply.json(), { code: 'not_found', message: /npm run build/ });
});

t.test('PLAYGROUND=false: no page at all', async (t) => {
  const { app, routes } = await buildInertApp({
    config: loadConfig({ RATE_LIMIT_PER_MINUTE: '0', PLAYGROUND: 'false' }),
    playgroundAssets: assets,
  });
  t.teardown(() => app.close());
  t.equal((await app.inject('/')).statusCode, 404);
  t.notOk(routes.some((r) => r.url.startsWith('/playground')));
});

t.test('the terminal tab is offered: this server has POST /sessions and its shell', async (t) => {
  const { app } = await buildInertApp({ playgroundAssets: assets });
  t.teardown(() => app.close());
  t.same((await app.inject('/playground/features.json')).json(), { terminal: true });
});
