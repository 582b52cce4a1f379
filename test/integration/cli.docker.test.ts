// The `runbox` command as a user runs it: bin/runbox.js in a child process against a real
// server (real Redis, real Docker). Output live to stdout and stderr, the verdict line, the
// program's exit code, tests, the runtimes list, keys, usage errors.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { sha256Hex } from '../../src/api/auth.js';
import { removeDir, startService } from '../helpers/service.js';

const bin = new URL('../../bin/runbox.js', import.meta.url).pathname;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runbox(args: string[], env: Record<string, string> = {}, input?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

t.test('runbox CLI', async (t) => {
  const service = await startService(t);
  const env = { RUNBOX_URL: service.url };
  const dir = mkdtempSync(join(tmpdir(), 'runbox-cli-'));
  t.teardown(() => removeDir(dir));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  t.test('run: stdout to stdout, stderr to stderr, a verdict line, the program exit code', async (t) => {
    const script = file('hello.py', 'import sys\nprint("out:", input())\nprint("err", file=sys.stderr)\nsys.exit(3)');
    const result = await runbox(['run', script, '--stdin', file('in.txt', 'Ada\n')], env);
    t.equal(result.code, 3, "the program's exit code");
    t.equal(result.stdout, 'out: Ada\n');
    t.match(result.stderr, /^err\nrunbox: runtime_error · exit 3 · \d+ ms · [\d.]+ MiB\n$/);
    t.notMatch(result.stderr, /\r/, 'no spinner when stderr is not a terminal');
  });

  t.test('run with --lang, --limits, and stdin from a pipe (-)', async (t) => {
    const script = file('script.txt', 'read x; echo "got $x"');
    const result = await runbox(
      ['run', script, '--lang', 'bash', '--limits', 'timeMs=5000,memoryMb=64', '--stdin', '-', '--url', service.url],
      {},
      'piped\n',
    );
    t.same([result.code, result.stdout], [0, 'got piped\n']);
    t.match(result.stderr, /runbox: ok · exit 0/);
  });

  t.test('run --test IN:OUT judges; a compile error is exit 1 with the compiler output', async (t) => {
    const script = file('sum.py', 'a, b = map(int, input().split())\nprint(a + b)');
    const accepted = await runbox(['run', script, '--test', `${file('1.in', '1 2')}:${file('1.out', '3')}`], env);
    t.equal(accepted.code, 0);
    t.match(accepted.stderr, /1 {2}accepted.*\nrunbox: accepted/);
    const wrong = await runbox(['run', script, '--test', `${file('2.in', '2 2')}:${file('2.out', '5')}`], env);
    t.equal(wrong.code, 1);
    t.match(wrong.stderr, /wrong_answer/);
    const broken = await runbox(['run', file('bad.c', 'int main( {')], env);
    t.equal(broken.code, 1);
    t.match(broken.stderr, /error[\s\S]*runbox: compilation_error/);
  });

  t.test('judge FILE --tests DIR', async (t) => {
    const tests = join(dir, 'tests');
    mkdirSync(tests);
    for (const [name, input, answer] of [
      ['a', '1 1', '2'],
      ['b', '5 7', '12'],
    ]) {
      writeFileSync(join(tests, `${name}.in`), input);
      writeFileSync(join(tests, `${name}.out`), answer);
    }
    const result = await runbox(['judge', file('judge.py', 'a, b = map(int, input().split())\nprint(a + b)'), '--tests', tests], env);
    t.equal(result.code, 0);
    t.match(result.stderr, /a {2}accepted[\s\S]*b {2}accepted[\s\S]*runbox: accepted/);
  });

  t.test('runtimes lists languages with versions', async (t) => {
    const result = await runbox(['runtimes'], env);
    t.equal(result.code, 0);
    t.match(result.stdout, /^python +3\.\d+\.\d+ +py, python3$/m);
  });

  t.test('usage errors are exit 2; an unreachable server is exit 3', async (t) => {
    t.equal((await runbox(['run'], env)).code, 2);
    t.equal((await runbox(['frobnicate'], env)).code, 2);
    const noLanguage = await runbox(['run', file('notes.unknownext', 'x')], env);
    t.same([noLanguage.code, /give --lang/.test(noLanguage.stderr)], [2, true]);
    t.equal((await runbox(['runtimes', '--url', 'http://127.0.0.1:9'])).code, 3);
  });
});

t.test('runbox CLI with keys: --key and RUNBOX_KEY', async (t) => {
  const { url } = await startService(t, { worker: false, env: { API_KEYS: `cli:read:${sha256Hex('cli-key')}` } });
  const refused = await runbox(['runtimes', '--url', url]);
  t.equal(refused.code, 3);
  t.match(refused.stderr, /401 unauthorized/);
  t.equal((await runbox(['runtimes', '--url', url, '--key', 'cli-key'])).code, 0);
  t.equal((await runbox(['runtimes'], { RUNBOX_URL: url, RUNBOX_KEY: 'cli-key' })).code, 0);
});
