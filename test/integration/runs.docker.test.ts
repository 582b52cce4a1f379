// POST /runs, GET /runs/{id}, GET /runtimes, health: real Redis, real Docker, real containers.
import t from 'tap';
import { runtimeCatalogue } from '../../src/domain/runtimes.js';
import { request, runToEnd } from '../helpers/client.js';
import { containersLeftBy, startService } from '../helpers/service.js';

t.test('runs and records', async (t) => {
  const service = await startService(t);
  const base = service.url;

  t.test('python hello with ?wait=true ends completed, ok, with its stdout', async (t) => {
    const reply = await request(base, 'POST', '/runs?wait=true', { language: 'python', source: 'print("hello")' });
    t.equal(reply.status, 200);
    t.match(reply.body, { status: 'completed', verdict: 'ok', exitCode: 0, signal: null, stdout: 'hello\n', stderr: '' });
    t.ok(reply.body.timeMs >= 0 && reply.body.cpuTimeMs >= 0 && reply.body.memoryBytes > 0, 'resources measured');
    t.same(await containersLeftBy(reply.body.id), [], 'no container left');
  });

  t.test('POST without wait answers 202 queued with Location, and GET reads the record back', async (t) => {
    const reply = await request(base, 'POST', '/runs', { language: 'py', source: 'print(2+2)' });
    t.equal(reply.status, 202);
    t.equal(reply.body.status, 'queued');
    t.equal(reply.headers.get('location'), `/runs/${reply.body.id}`);
    let record;
    for (let i = 0; i < 100; i++) {
      record = (await request(base, 'GET', `/runs/${reply.body.id}`)).body;
      if (record.status === 'completed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    t.match(record, { id: reply.body.id, language: 'python', status: 'completed', verdict: 'ok', stdout: '4\n' });
    for (const field of [
      'createdAt',
      'startedAt',
      'finishedAt',
      'exitCode',
      'signal',
      'timeMs',
      'cpuTimeMs',
      'memoryBytes',
      'stdout',
      'stderr',
      'stdoutTruncated',
      'stderrTruncated',
      'compile',
      'verdict',
    ]) {
      t.ok(field in record, `record has ${field}`);
    }
  });

  t.test('files (utf8 and base64, sub-folders), stdin, args and env reach the program', async (t) => {
    const record = await runToEnd(base, {
      language: 'python',
      files: [
        {
          name: 'main.py',
          content:
            'import sys, os\nfrom lib.util import greet\nprint(greet(input()), sys.argv[1:], os.environ["GREETING"])\nprint(open("data/blob.bin","rb").read())',
        },
        { name: 'lib/__init__.py', content: '' },
        { name: 'lib/util.py', content: 'def greet(n): return "hello, " + n' },
        { name: 'data/blob.bin', content: Buffer.from([0, 1, 2, 255]).toString('base64'), encoding: 'base64' },
      ],
      stdin: 'world\n',
      args: ['a b', '--x'],
      env: { GREETING: 'hi' },
    });
    t.equal(record.stdout, "hello, world ['a b', '--x'] hi\nb'\\x00\\x01\\x02\\xff'\n");
    t.equal(record.verdict, 'ok');
  });

  t.test('GET /runs/{id} of an unknown run is 404 not_found', async (t) => {
    const reply = await request(base, 'GET', '/runs/nope');
    t.equal(reply.status, 404);
    t.equal(reply.body.code, 'not_found');
  });

  t.test('GET /runtimes lists the catalogue with versions read from their images', async (t) => {
    const reply = await request(base, 'GET', '/runtimes');
    t.equal(reply.status, 200);
    const byLanguage = Object.fromEntries(reply.body.map((r: any) => [r.language, r]));
    t.same(Object.keys(byLanguage).sort(), runtimeCatalogue.map((r) => r.language).sort());
    t.match(byLanguage.python, { version: /^3\.11\.\d+$/, aliases: ['py', 'python3'], compiled: false, fileName: 'main.py' });
    t.match(byLanguage.cpp, { version: /^\d+\.\d+\.\d+$/, compiled: true });
  });

  t.test('POST /runs/batch queues each valid run and refuses each bad one in place; GET /runs?ids reads them', async (t) => {
    const reply = await request(base, 'POST', '/runs/batch', {
      runs: [
        { language: 'python', source: 'print("one")' },
        { language: 'cobol', source: 'x' },
        { language: 'bash', source: 'echo two' },
        { language: 'python', source: 'x', limits: { memoryMb: 'lots' } },
      ],
    });
    t.equal(reply.status, 202);
    t.match(reply.body, [
      { id: String, status: 'queued' },
      { error: { code: 'unknown_language' } },
      { id: String, status: 'queued' },
      { error: { code: 'invalid_request' } },
    ]);
    const ids = [reply.body[0].id, 'missing', reply.body[2].id];
    let records: any[] = [];
    for (let i = 0; i < 100; i++) {
      records = (await request(base, 'GET', `/runs?ids=${ids.join(',')}`)).body;
      if (records[0].status === 'completed' && records[2].status === 'completed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    t.match(records, [
      { id: ids[0], stdout: 'one\n' },
      { id: 'missing', error: { code: 'not_found' } },
      { id: ids[2], stdout: 'two\n' },
    ]);
    const tooMany = await request(base, 'POST', '/runs/batch', {
      runs: Array.from({ length: 21 }, () => ({ language: 'bash', source: 'true' })),
    });
    t.equal(tooMany.status, 400);
  });

  t.test('healthz and readyz answer 200 when Redis is up', async (t) => {
    t.equal((await request(base, 'GET', '/healthz')).status, 200);
    const ready = await request(base, 'GET', '/readyz');
    t.equal(ready.status, 200);
    t.equal(ready.body.checks.redis, 'ok');
  });
});
