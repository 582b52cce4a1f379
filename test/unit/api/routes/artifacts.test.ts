// GET /runs/{id}/artifacts and /artifacts/{path} through app.inject(), on a stand-in store:
// ownership as GET /runs/{id}, 409 before the run ends, the headers a download carries.
import t, { type Test } from 'tap';
import { sha256Hex } from '../../../../src/api/auth.js';
import { buildApp } from '../../../../src/app.js';
import { loadConfig } from '../../../../src/config/config.js';
import type { RunRecord } from '../../../../src/domain/run-record.js';
import type { RunStore } from '../../../../src/store/run-store.js';
import { inertDependencies } from '../../../helpers/inert-app.js';

const keys = `alice:runs+read:${sha256Hex('alice-key')},bob:runs+read:${sha256Hex('bob-key')}`;
const as = (key: string) => ({ authorization: `Bearer ${key}` });

const record = (status: RunRecord['status']): RunRecord =>
  ({
    id: 'run-1',
    status,
    artifacts: {
      files: [
        { path: 'out/plot.png', size: 3, contentType: 'image/png' },
        { path: 'page.html', size: 6, contentType: 'text/html; charset=utf-8' },
        { path: 'out/plot.png', size: 4, contentType: 'image/png', test: 1 },
      ],
      omitted: [{ path: 'link', reason: 'not_a_regular_file' }],
    },
  }) as unknown as RunRecord;

async function setup(t: Test, status: RunRecord['status'] = 'completed') {
  const reads: string[] = [];
  const app = await buildApp(
    inertDependencies({
      config: loadConfig({ RATE_LIMIT_PER_MINUTE: '0', AUTH_FAILURES_PER_MINUTE: '0', API_KEYS: keys }),
      store: {
        getOwned: async (id: string) => (id === 'run-1' ? { record: record(status), owner: 'alice' } : undefined),
      } as unknown as RunStore,
      authFailures: { blockedForMs: async () => 0, record: async () => undefined },
      artifacts: {
        read: async (_id, path, test) => {
          reads.push(`${test ?? '-'}/${path}`);
          if (path === 'out/plot.png') return Buffer.from(test === 1 ? 'png1' : 'png');
          if (path === 'page.html') return Buffer.from('<html>');
          return undefined;
        },
      },
    }),
  );
  t.teardown(() => app.close());
  return { app, reads };
}

t.test("the listing is the record's, for its owner only", async (t) => {
  const { app } = await setup(t);
  const res = await app.inject({ url: '/runs/run-1/artifacts', headers: as('alice-key') });
  t.equal(res.statusCode, 200);
  t.same(res.json(), record('completed').artifacts);
  const other = await app.inject({ url: '/runs/run-1/artifacts', headers: as('bob-key') });
  t.match(other, { statusCode: 404 });
  t.equal(other.json().code, 'not_found');
  const none = await app.inject({ url: '/runs/run-1/artifacts' });
  t.equal(none.statusCode, 401, 'a key is needed');
});

t.test('a run that has not ended answers 409', async (t) => {
  const { app } = await setup(t, 'running');
  const res = await app.inject({ url: '/runs/run-1/artifacts', headers: as('alice-key') });
  t.equal(res.statusCode, 409);
  t.equal(res.json().code, 'conflict');
});

t.test('a file comes with its content type, nosniff and a sandboxing CSP; active types as downloads', async (t) => {
  const { app, reads } = await setup(t);
  const png = await app.inject({ url: '/runs/run-1/artifacts/out/plot.png', headers: as('alice-key') });
  t.equal(png.statusCode, 200);
  t.equal(png.body, 'png');
  t.equal(png.headers['content-type'], 'image/png');
  t.equal(png.headers['x-content-type-options'], 'nosniff');
  t.match(png.headers['content-security-policy'], /sandbox/);
  t.match(png.headers['content-disposition'], /^inline; filename\*=UTF-8''plot\.png$/);
  const html = await app.inject({ url: '/runs/run-1/artifacts/page.html', headers: as('alice-key') });
  t.match(html.headers['content-disposition'], /^attachment/);
  const perTest = await app.inject({ url: '/runs/run-1/artifacts/out%2Fplot.png?test=1', headers: as('alice-key') });
  t.equal(perTest.body, 'png1', 'a percent-encoded slash is the same path; ?test= picks the test');
  t.same(reads, ['-/out/plot.png', '-/page.html', '1/out/plot.png']);
});

t.test('a path that was not kept is a 404, and the store is not asked for it', async (t) => {
  const { app, reads } = await setup(t);
  for (const url of ['/runs/run-1/artifacts/link', '/runs/run-1/artifacts/../../etc/passwd', '/runs/run-1/artifacts/out/plot.png?test=0']) {
    const res = await app.inject({ url, headers: as('alice-key') });
    t.equal(res.statusCode, 404, url);
  }
  const other = await app.inject({ url: '/runs/run-1/artifacts/out/plot.png', headers: as('bob-key') });
  t.equal(other.statusCode, 404, "another key's run");
  t.same(reads, []);
});
