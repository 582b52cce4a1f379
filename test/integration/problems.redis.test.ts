// Problems over HTTP on a real Redis, no worker: PUT /problems/{id} (admin keys only) with its
// archive checks, the per-key and total quotas, replacing and deleting, and POST /runs against
// a problem (its limits, what a run may not give beside it, 404 for none).
import t from 'tap';
import { sha256Hex } from '../../src/api/auth.js';
import { tar, tarGz, zip } from '../helpers/archives.js';
import { request } from '../helpers/client.js';
import { startService } from '../helpers/service.js';

const keys = { admin: 'admin-key', other: 'other-admin-key', runner: 'runner-key' };
const API_KEYS = [
  `admin:admin:${sha256Hex(keys.admin)}`,
  `other:admin:${sha256Hex(keys.other)}`,
  `runner:runs+read:${sha256Hex(keys.runner)}`,
].join(',');
const as = (key: string, type = 'application/x-tar') => ({ authorization: `Bearer ${key}`, 'content-type': type });

/** A problem of `count` tests whose input files are each `size` bytes. */
const problemTar = (count = 2, size = 4, settings: object = { limits: { timeMs: 2000 } }) =>
  tar([
    { path: 'problem.json', data: JSON.stringify(settings) },
    ...Array.from({ length: count }, (_, i) => [
      { path: `tests/${i + 1}.in`, data: Buffer.alloc(size, 0x31) },
      { path: `tests/${i + 1}.ans`, data: '1\n' },
    ]).flat(),
  ]);

t.test('problems', async (t) => {
  const { url, redis } = await startService(t, {
    worker: false,
    env: {
      API_KEYS,
      PROBLEM_KEY_QUOTA_BYTES: String(64 * 1024),
      PROBLEMS_QUOTA_BYTES: String(100 * 1024),
      PROBLEM_ARCHIVE_MAX_BYTES: String(512 * 1024),
    },
  });
  const put = (id: string, body: Buffer, key = keys.admin, type?: string) => request(url, 'PUT', `/problems/${id}`, body, as(key, type));

  t.test('only an admin key may upload, read or delete a problem', async (t) => {
    const reply = await put('p1', problemTar(), keys.runner);
    t.match(reply, { status: 403, body: { code: 'forbidden' } });
    t.match(await request(url, 'GET', '/problems/p1', undefined, as(keys.runner)), { status: 403 });
    t.match(await request(url, 'DELETE', '/problems/p1', undefined, as(keys.runner)), { status: 403 });
    t.match(await request(url, 'PUT', '/problems/p1', problemTar(), { 'content-type': 'application/x-tar' }), { status: 401 });
  });

  t.test('an upload is 201 with what the problem holds; the same id again replaces it (200)', async (t) => {
    const created = await put('p1', problemTar(3));
    t.equal(created.status, 201, JSON.stringify(created.body));
    t.match(created.body, {
      id: 'p1',
      owner: 'admin',
      tests: [
        { name: '1', inputBytes: 4, answerBytes: 2 },
        { name: '2', inputBytes: 4, answerBytes: 2 },
        { name: '3', inputBytes: 4, answerBytes: 2 },
      ],
      limits: { timeMs: 2000 },
      compare: 'trim',
    });
    t.match(created.body.hash, /^[0-9a-f]{64}$/);
    t.same((await request(url, 'GET', '/problems/p1', undefined, as(keys.admin))).body, created.body);
    const replaced = await put(
      'p1',
      zip([
        { path: 'tests/a.in', data: 'x' },
        { path: 'tests/a.ans', data: 'y' },
      ]),
      keys.admin,
      'application/zip',
    );
    t.equal(replaced.status, 200);
    t.same(
      replaced.body.tests.map((x: any) => x.name),
      ['a'],
    );
    t.not(replaced.body.hash, created.body.hash);
    t.equal(
      (await redis.ttl(`runbox:problemblob:${created.body.hash}`)) > 0,
      true,
      'the old files are kept a while for queued runs, then expire',
    );
    t.equal(await redis.ttl(`runbox:problemblob:${replaced.body.hash}`), -1, 'the files in use do not expire');
  });

  t.test('archives that are malformed or hostile are refused with what is wrong, and nothing is stored', async (t) => {
    const refusals: [Buffer, number, string, RegExp][] = [
      [tar([{ path: 'tests/1.in', data: '1' }]), 400, 'invalid_request', /tests\/1.in has no tests\/1.ans/],
      [
        tar([
          { path: 'tests/1.in', data: '1' },
          { path: 'tests/1.ans', type: '2', linkTo: '/etc/shadow' },
        ]),
        400,
        'invalid_request',
        /symbolic link/,
      ],
      [tar([{ path: '../../etc/x.in', data: '1' }]), 400, 'invalid_request', /a path with \.\./],
      [tar([{ path: 'statement.pdf', data: '%PDF' }]), 400, 'invalid_request', /has no place in a problem/],
      [
        tar([
          { path: 'problem.json', data: '{"limits":{"timeMs":999999999}}' },
          { path: 'tests/1.in', data: '' },
          { path: 'tests/1.ans', data: '' },
        ]),
        400,
        'limit_exceeded',
        /timeMs/,
      ],
      [
        tar([
          { path: 'problem.json', data: '{"checker":{"language":"cobol"}}' },
          { path: 'checker/c.cob', data: '' },
          { path: 'tests/1.in', data: '' },
          { path: 'tests/1.ans', data: '' },
        ]),
        400,
        'unknown_language',
        /cobol/,
      ],
      [
        tar([
          { path: 'problem.json', data: '{"groups":[{"tests":["9"],"points":1}]}' },
          { path: 'tests/1.in', data: '' },
          { path: 'tests/1.ans', data: '' },
        ]),
        400,
        'invalid_request',
        /no tests\/9.in/,
      ],
      [tarGz([{ path: 'tests/1.in', data: Buffer.alloc(8 << 20) }]), 413, 'payload_too_large', /times its size|more than/],
      [Buffer.from('plain text, not an archive'.repeat(30)), 400, 'invalid_request', /not a zip, tar or tar.gz/],
    ];
    for (const [archive, status, code, message] of refusals) {
      const reply = await put('bad', archive);
      t.match(reply, { status, body: { code, message } }, `${code}: ${message}`);
    }
    t.equal((await request(url, 'GET', '/problems/bad', undefined, as(keys.admin))).status, 404);
    t.match(
      await put('bad', Buffer.alloc(600 * 1024)),
      { status: 413, body: { code: 'payload_too_large' } },
      'past PROBLEM_ARCHIVE_MAX_BYTES',
    );
    t.match(await put('bad', problemTar(), keys.admin, 'text/plain'), { status: 400 }, 'an archive needs an archive content type');
    t.match(await put('no spaces', problemTar()), { status: 400, body: { code: 'invalid_request' } }, 'ids are letters, digits, . _ -');
  });

  t.test("a key's problems stay within its quota, all problems within the server's", async (t) => {
    const large = problemTar(1, 40 * 1024);
    t.equal((await put('big1', large)).status, 201);
    const over = await put('big2', large);
    t.match(over, { status: 403, body: { code: 'quota_exceeded', message: /this key's problems take/ } });
    t.equal((await put('big1', large)).status, 200, 'replacing its own problem counts it once');
    t.equal((await put('other1', large, keys.other)).status, 201, 'another key has its own quota');
    t.match(await put('other2', problemTar(1, 20 * 1024), keys.other), { status: 403, body: { message: /PROBLEMS_QUOTA_BYTES/ } });
    t.equal((await request(url, 'DELETE', '/problems/big1', undefined, as(keys.admin))).status, 204);
    t.equal((await request(url, 'DELETE', '/problems/big1', undefined, as(keys.admin))).status, 404);
    t.equal((await put('big2', large)).status, 201, 'deleting frees the quota');
  });

  t.test('a run against a problem takes its tests and limits; what the problem brings may not be given', async (t) => {
    t.equal((await put('sum', problemTar(2, 4, { limits: { timeMs: 1500, memoryMb: 64 } }))).status, 201);
    const run = await request(
      url,
      'POST',
      '/runs',
      { language: 'python', source: 'print(1)', problem: 'sum' },
      as(keys.runner, 'application/json'),
    );
    t.equal(run.status, 202, JSON.stringify(run.body));
    t.match(run.body, { problem: 'sum', limits: { timeMs: 1500, memoryMb: 64 } });
    const own = await request(
      url,
      'POST',
      '/runs',
      { language: 'python', source: 'print(1)', problem: 'sum', limits: { timeMs: 3000 } },
      as(keys.runner, 'application/json'),
    );
    t.match(own.body, { limits: { timeMs: 3000, memoryMb: 64 } }, "a run's own limits go over the problem's");
    const mixed = await request(
      url,
      'POST',
      '/runs',
      { language: 'python', source: '', problem: 'sum', tests: [{ stdin: '', expected: '' }] },
      as(keys.runner, 'application/json'),
    );
    t.match(mixed, {
      status: 400,
      body: { code: 'invalid_request', message: /^body: tests, .* come from the problem; a run against one may not give them$/ },
    });
    const missing = await request(
      url,
      'POST',
      '/runs',
      { language: 'python', source: '', problem: 'nope' },
      as(keys.runner, 'application/json'),
    );
    t.match(missing, { status: 404, body: { code: 'not_found', message: 'no problem nope' } });
  });
});
