// Artifacts on real containers: a run keeps the files of its work folder that match its
// globs, within the count and byte limits, read back through runbox-run (a link is never
// followed, only listed as omitted), listed and served with their bytes and content type;
// they expire with the run and count in its output ledger; a judged run keeps them per test.
import t from 'tap';
import { createKeys } from '../../src/store/keys.js';
import { request, runToEnd } from '../helpers/client.js';
import { containersLeftBy, startService } from '../helpers/service.js';

const keys = createKeys('runbox');

t.test('artifacts', async (t) => {
  const { url, redis } = await startService(t, {
    env: { ARTIFACTS_MAX_FILES: '4', ARTIFACTS_MAX_BYTES: String(64 * 1024), RUN_RETENTION_S: '600' },
  });

  t.test('matching files are kept and served byte for byte; a link, a file past the limits are listed as omitted', async (t) => {
    const source = [
      'import os',
      'os.makedirs("out/deep", exist_ok=True)',
      'open("out/plot.png", "wb").write(bytes(range(256)) * 4)',
      'open("out/deep/data.json", "w").write("{\\"ok\\": true}")',
      'open("out/page.html", "w").write("<script>alert(1)</script>")',
      'open("out/big.bin", "wb").write(b"x" * 70000)',
      'os.symlink("/etc/passwd", "out/passwd.txt")',
      'os.symlink("/proc/self/environ", "out/environ.txt")',
      'for i in range(3): open(f"out/n{i}.log", "w").write(str(i))',
      'open("skipped.png", "wb").write(b"not asked for")',
      'print("done")',
    ].join('\n');
    const record = await runToEnd(url, { language: 'python', source, artifacts: ['out/**'] });
    t.match(record, { status: 'completed', verdict: 'ok', stdout: 'done\n' });
    const listing = await request(url, 'GET', `/runs/${record.id}/artifacts`);
    t.equal(listing.status, 200);
    t.same(listing.body, record.artifacts, "the listing is the record's");
    const kept = listing.body.files.map((f: any) => f.path).sort();
    t.equal(kept.length, 4, 'ARTIFACTS_MAX_FILES files kept');
    t.notOk(kept.includes('skipped.png'), 'a file no glob matches is not kept');
    const omitted = Object.fromEntries(listing.body.omitted.map((o: any) => [o.path, o.reason]));
    t.equal(omitted['out/passwd.txt'], 'not_a_regular_file', 'a link to /etc/passwd is listed, not followed');
    t.equal(omitted['out/environ.txt'], 'not_a_regular_file');
    t.equal(omitted['out/big.bin'], 'size_limit', 'a file past ARTIFACTS_MAX_BYTES');
    t.ok(Object.values(omitted).includes('count_limit'), 'files past ARTIFACTS_MAX_FILES');
    t.equal(listing.body.files.length + listing.body.omitted.length, 9, 'every match accounted for (the folder out/deep is none)');

    for (const file of listing.body.files) {
      const response = await fetch(`${url}/runs/${record.id}/artifacts/${file.path}`);
      const body = Buffer.from(await response.arrayBuffer());
      t.equal(response.status, 200, file.path);
      t.equal(body.length, file.size);
      t.equal(response.headers.get('content-type'), file.contentType);
      t.equal(response.headers.get('x-content-type-options'), 'nosniff');
      if (file.path === 'out/plot.png') t.same(body, Buffer.from(Array.from({ length: 1024 }, (_, i) => i % 256)), 'binary intact');
      if (file.path === 'out/page.html') t.match(response.headers.get('content-disposition'), /^attachment/, 'HTML is a download');
    }
    const link = await request(url, 'GET', `/runs/${record.id}/artifacts/out/passwd.txt`);
    t.match(link, { status: 404, body: { code: 'not_found' } }, 'the link serves nothing');
    const escape = await request(url, 'GET', `/runs/${record.id}/artifacts/..%2F..%2Fetc%2Fpasswd`);
    t.equal(escape.status, 404);

    const ttl = await redis.ttl(keys.artifacts(record.id));
    t.ok(ttl > 500 && ttl <= 600, `the artifacts expire with the run (${ttl} s)`);
    t.equal(await redis.ttl(keys.run(record.id)), ttl);
    const [entry] = await redis.zrange(keys.outputLedger('anonymous'), '0', '-1');
    const bytes = listing.body.files.reduce((sum: number, f: any) => sum + f.size, 0);
    t.ok(Number(entry.split(' ')[1]) >= bytes, `the ledger counts the artifacts (${entry}, ${bytes} bytes kept)`);
    t.same(await containersLeftBy(record.id), []);
  });

  t.test('a compiled run keeps what its program wrote, not only what the compiler left', async (t) => {
    const source = '#include <stdio.h>\nint main(){FILE*f=fopen("result.txt","w");fprintf(f,"42\\n");fclose(f);return 3;}';
    const record = await runToEnd(url, { language: 'c', source, artifacts: ['*.txt', 'main'] });
    t.match(record, { verdict: 'runtime_error', exitCode: 3 });
    t.same(
      record.artifacts.files.map((f: any) => [f.path, f.contentType]).sort(),
      [
        ['main', 'application/octet-stream'],
        ['result.txt', 'text/plain; charset=utf-8'],
      ],
      'kept after a failing program too',
    );
    const text = await fetch(`${url}/runs/${record.id}/artifacts/result.txt`);
    t.equal(await text.text(), '42\n');
    const binary = Buffer.from(await (await fetch(`${url}/runs/${record.id}/artifacts/main`)).arrayBuffer());
    t.equal(binary.length, record.artifacts.files.find((f: any) => f.path === 'main').size);
    t.same(binary.subarray(0, 4), Buffer.from('\x7fELF', 'latin1'), 'the compiled binary, byte for byte');
  });

  t.test('a judged run keeps its artifacts per test', async (t) => {
    const record = await runToEnd(url, {
      language: 'python',
      source: 'n = int(input())\nopen("answer.txt", "w").write(str(n * n))\nprint(n * n)',
      artifacts: ['answer.txt'],
      tests: [
        { stdin: '3', expected: '9' },
        { stdin: '4', expected: '16', artifacts: ['main.py'] },
      ],
    });
    t.equal(record.verdict, 'accepted');
    t.same(
      record.artifacts.files.map((f: any) => [f.test, f.path]).sort((a: any[], b: any[]) => a[0] - b[0] || a[1].localeCompare(b[1])),
      [
        [0, 'answer.txt'],
        [1, 'answer.txt'],
        [1, 'main.py'],
      ],
    );
    const first = await request(url, 'GET', `/runs/${record.id}/artifacts/answer.txt?test=0`);
    const second = await request(url, 'GET', `/runs/${record.id}/artifacts/answer.txt?test=1`);
    t.same([first.body, second.body], [9, 16], "each test's own file");
    const runLevel = await request(url, 'GET', `/runs/${record.id}/artifacts/answer.txt`);
    t.equal(runLevel.status, 404, 'in judge mode a file is named by its test');
  });

  t.test('bad globs are refused before anything is queued; listing a queued run is a 409', async (t) => {
    const bad = await request(url, 'POST', '/runs', { language: 'python', source: 'pass', artifacts: ['../../etc/*'] });
    t.match(bad, { status: 400, body: { code: 'invalid_request', message: /contains \.\./ } });
    const tooMany = await request(url, 'POST', '/runs', { language: 'python', source: 'pass', artifacts: Array(17).fill('*') });
    t.equal(tooMany.status, 400);
    const slow = await request(url, 'POST', '/runs', { language: 'python', source: 'import time; time.sleep(3)', artifacts: ['*'] });
    const early = await request(url, 'GET', `/runs/${slow.body.id}/artifacts`);
    t.match(early, { status: 409, body: { code: 'conflict' } });
  });
});
