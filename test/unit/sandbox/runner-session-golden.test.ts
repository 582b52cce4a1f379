// The real runbox-run (test/helpers/runner-process.ts) doing what a session asks beside its
// executions: one path read or listed, a path removed, a snapshot's folder loaded, an execution
// that stops only its own processes, and the terminal's start (--shell). No Docker.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { encodeData, encodeFile, encodeGet, HostFrame, type RunnerMessage } from '../../../src/sandbox/runner-protocol.js';
import { buildRunner, outcome, SANDBOX_UID, startRunner, type RunnerProcess } from '../../helpers/runner-process.js';

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const root = process.getuid?.() === 0;

async function withRunner(t: Test, body: (r: RunnerProcess) => Promise<void>, options?: Parameters<typeof startRunner>[0]) {
  const runner = await startRunner(options);
  t.teardown(() => runner.stop());
  t.match(await runner.next(), { type: 'ready' });
  await body(runner);
}

const run = async (r: RunnerProcess, argv: string[], extra: Record<string, unknown> = {}) => {
  r.exec({ argv, ...extra });
  return outcome(await r.until('report'));
};

const get = async (r: RunnerProcess, path: string, budget = 1 << 20) => {
  r.send(HostFrame.get, encodeGet(budget, path));
  return r.until('collected');
};

const errorsOf = (messages: RunnerMessage[]) => messages.flatMap((m) => (m.type === 'error' ? [m] : []));

const synced = async (r: RunnerProcess, type: 'remove' | 'load', payload: string) => {
  r.send(HostFrame[type], Buffer.from(payload));
  r.send(HostFrame.sync);
  return errorsOf(await r.until('ok'));
};

t.test('runbox-run serving a session', { skip: !root && 'needs root (namespaces of its own)' }, async (t) => {
  t.test('get: a file as its bytes, holes as zeros, and nothing of one larger than the budget', async (t) => {
    await withRunner(t, async (r) => {
      await run(r, ['sh', '-c', 'mkdir -p a/b && printf "hello" > a/b/c.txt && truncate -s 100000 sparse && printf x >> sparse']);
      const file = await get(r, 'a/b/c.txt');
      t.match(file[0], { type: 'file', path: 'a/b/c.txt', size: 5, mode: S_IFREG | 0o644 });
      t.equal(Buffer.concat(file.flatMap((m) => (m.type === 'data' ? [m.data] : []))).toString(), 'hello');
      t.match(file.at(-1), { type: 'collected', collected: { files: 1, exceeded: false } });
      const sparse = await get(r, 'sparse');
      const data = sparse.flatMap((m) => (m.type === 'data' ? [m] : []));
      t.ok(data.reduce((n, m) => n + m.data.length, 0) < 10_000, 'the holes of a sparse file are not sent');
      const tooLarge = await get(r, 'sparse', 50_000);
      t.same(
        tooLarge.map((m) => m.type),
        ['collected'],
        'a file larger than the budget: nothing of it',
      );
      t.match(tooLarge[0], { collected: { files: 0, exceeded: true } });
    });
  });

  t.test('get: a folder as its entries (name, mode, size, mtime), the work folder itself as ""', async (t) => {
    await withRunner(t, async (r) => {
      await run(r, ['sh', '-c', 'mkdir -p sub/deeper && printf 1234 > sub/four && ln -s /etc/passwd sub/link && printf top > top']);
      const before = Date.now();
      const listing = await get(r, 'sub');
      const entries = listing.flatMap((m) => (m.type === 'entry' ? [m] : []));
      t.same(entries.map((e) => e.name).sort(), ['deeper', 'four', 'link']);
      t.match(
        entries.find((e) => e.name === 'four'),
        { size: 4, mode: S_IFREG | 0o644 },
      );
      const typeOf = (name: string) => (entries.find((e) => e.name === name)?.mode ?? 0) & 0o170000;
      t.equal(typeOf('link'), S_IFLNK, 'a link is listed as a link');
      t.equal(typeOf('deeper'), S_IFDIR);
      t.equal(entries.find((e) => e.name === 'deeper')?.size, 0, 'a folder has size 0');
      t.ok(
        entries.every((e) => Math.abs(e.mtimeMs - before) < 60_000),
        'mtimes in ms',
      );
      const top = (await get(r, '')).flatMap((m) => (m.type === 'entry' ? [m.name] : []));
      t.same(top.sort(), ['sub', 'top'], 'the work folder itself');
    });
  });

  t.test('get: a link is never followed, at the end of the path or on the way; bad paths are refused', async (t) => {
    await withRunner(t, async (r) => {
      await run(r, ['sh', '-c', 'ln -s /etc/passwd passwd && ln -s /etc etc && mkfifo fifo && mkdir d && ln -s .. d/up']);
      t.match(errorsOf(await get(r, 'passwd')), [{ code: 'ELOOP', error: /link/ }], 'a link to /etc/passwd');
      t.match(errorsOf(await get(r, 'etc/passwd')), [{ code: 'ELOOP' }], 'a path through a link');
      t.match(errorsOf(await get(r, 'd/up/passwd')), [{ code: 'ELOOP' }], 'a link to .. on the way');
      t.match(errorsOf(await get(r, 'missing')), [{ code: 'ENOENT' }]);
      t.match(errorsOf(await get(r, 'fifo')), [{ code: 'EINVAL' }], 'a FIFO is neither read nor waited for');
      for (const bad of ['../x', '/etc/passwd', 'a/./b', 'a//b']) t.match(errorsOf(await get(r, bad)), [{ code: 'EINVAL' }], bad);
    });
  });

  t.test('files in: a FIFO or a link at the name is refused, never written through', async (t) => {
    await withRunner(t, async (r) => {
      await run(r, ['sh', '-c', 'mkfifo fifo && ln -s /tmp/outside link']);
      r.send(HostFrame.file, encodeFile(S_IFREG | 0o644, 1, 'fifo'));
      r.send(HostFrame.data, encodeData(0, Buffer.from('x')));
      r.send(HostFrame.sync);
      t.match(errorsOf(await r.until('ok')), [{ code: 'ENXIO' }], 'a FIFO without a reader: refused at once');
      r.send(HostFrame.file, encodeFile(S_IFREG | 0o644, 1, 'link'));
      r.send(HostFrame.sync);
      t.match(errorsOf(await r.until('ok')), [{ code: 'ELOOP' }]);
      t.notOk(existsSync('/tmp/outside'), 'nothing written outside');
    });
  });

  t.test('remove: a file, a link (not its target), a folder with what it holds; a missing path says so', async (t) => {
    await withRunner(t, async (r) => {
      writeFileSync(join(r.scratch, 'target'), 'kept');
      await run(r, ['sh', '-c', `touch f && ln -s ${r.scratch}/target link && mkdir -p tree/a/b && touch tree/a/b/c && chmod 000 tree/a`]);
      t.same(await synced(r, 'remove', 'f'), []);
      t.same(await synced(r, 'remove', 'link'), []);
      t.equal(readFileSync(join(r.scratch, 'target'), 'utf8'), 'kept', "the link's target is left alone");
      t.same(await synced(r, 'remove', 'tree'), [], 'a folder, also one the program made unreadable');
      t.same(readdirSync(r.work), []);
      t.match(await synced(r, 'remove', 'f'), [{ code: 'ENOENT' }]);
      t.match(await synced(r, 'remove', ''), [{ code: 'EINVAL' }], 'not the work folder itself');
      t.equal((await run(r, ['echo', 'after'])).stdout, 'after\n', 'a sync ends the refusal');
    });
  });

  t.test("load: a snapshot's folder copied into the work folder, links as links", async (t) => {
    const image = mkdtempSync(join(tmpdir(), 'runbox-snapshot-'));
    t.teardown(() => rmSync(image, { recursive: true, force: true }));
    mkdirSync(join(image, 'src/nested'), { recursive: true });
    writeFileSync(join(image, 'src/nested/data.bin'), Buffer.from([0, 1, 2, 255]));
    writeFileSync(join(image, 'src/run.sh'), 'echo loaded', { mode: 0o755 });
    symlinkSync('/etc/passwd', join(image, 'src/passwd'));
    execFileSync('chown', ['-R', `${SANDBOX_UID}:${SANDBOX_UID}`, image]);
    await withRunner(t, async (r) => {
      t.same(await synced(r, 'load', join(image, 'src')), []);
      t.same([...readFileSync(join(r.work, 'nested/data.bin'))], [0, 1, 2, 255]);
      t.equal((await run(r, ['./run.sh'])).stdout, 'loaded\n', 'modes kept');
      t.equal((await run(r, ['readlink', 'passwd'])).stdout, '/etc/passwd\n', 'a link stays a link');
      t.match(await synced(r, 'load', 'relative/path'), [{ code: 'EINVAL' }]);
    });
  });

  t.test('a shared execution stops its own processes and leaves those started beside the supervisor', async (t) => {
    for (const shared of [true, false]) {
      await withRunner(t, async (r) => {
        const beside = besideRunner(r);
        t.teardown(() => beside.kill('SIGKILL'));
        const ended = new Promise<boolean>((resolve) => beside.once('exit', () => resolve(true)));
        await new Promise((resolve) => setTimeout(resolve, 200));
        const o = await run(r, ['sh', '-c', '(sleep 30) & echo started'], { shared });
        t.equal(o.stdout, 'started\n');
        const killed = await Promise.race([ended, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000))]);
        t.equal(!killed, shared, shared ? 'the process beside it lives on' : 'an unshared execution kills everything');
        const left = await run(r, ['sh', '-c', 'ps -e -o comm= 2>/dev/null | grep -c "^sleep" || true'], { shared });
        t.equal(left.stdout.trim(), shared ? '1' : '0', "the execution's own sleeper is gone");
      });
    }
  });

  t.test('--shell: the program as uid 1000, no capabilities, the seccomp filter on, the given environment', async (t) => {
    const binary = buildRunner();
    const probe = 'echo "$GREETING"; id -u; grep -E "^(CapBnd|CapEff|NoNewPrivs|Seccomp):" /proc/self/status';
    for (const asRoot of [false, true]) {
      // As the engine starts it under runc: uid 1000 with an empty bounding set (CapDrop ALL).
      const asUser = asRoot
        ? []
        : ['setpriv', `--reuid=${SANDBOX_UID}`, `--regid=${SANDBOX_UID}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--'];
      const out = execFileSync(
        'unshare',
        [
          '--fork',
          '--pid',
          '--mount-proc',
          '--',
          ...asUser,
          binary,
          '--shell',
          '--id',
          'sh-1',
          '--env',
          'GREETING=hi',
          '--',
          'sh',
          '-c',
          probe,
        ],
        {
          env: { PATH: '/usr/bin:/bin', HOME: '/tmp' },
        },
      ).toString();
      t.match(
        out,
        /^hi\n1000\nCapEff:\t0{16}\nCapBnd:\t0{16}\nNoNewPrivs:\t1\nSeccomp:\t2\n/,
        asRoot ? 'started as root (gVisor): dropped' : 'started as uid 1000 (runc)',
      );
    }
    t.throws(
      () => execFileSync(binary, ['--shell', '--id', 'x', '--bogus', '--', 'true'], { stdio: 'pipe' }),
      'an unknown option is refused',
    );
    t.throws(() => execFileSync(binary, ['--shell', '--', 'true'], { stdio: 'pipe' }), 'a terminal needs its id');
  });

  t.test('--hangup ID ends that terminal (its shell gets SIGHUP, as from a closed terminal), and no other', async (t) => {
    // runbox-run is found by its name, as in the images: the cached binary is linked under it.
    const dir = mkdtempSync(join(tmpdir(), 'runbox-hangup-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const binary = join(dir, 'runbox-run');
    execFileSync('cp', [buildRunner(), binary]);
    const script = [
      `${binary} --shell --id keep -- sh -c 'sleep 30' & keep=$!`,
      `${binary} --shell --id gone -- sh -c 'sleep 30' & gone=$!`,
      'sleep 0.3',
      `${binary} --hangup gone; echo "hangup=$?"`,
      'wait $gone; echo "gone=$?"',
      `${binary} --hangup gone; echo "again=$?"`,
      'kill -0 $keep && echo "keep alive"; kill $keep; wait $keep; echo "keep=$?"',
    ].join('\n');
    const out = execFileSync('unshare', ['--fork', '--pid', '--mount-proc', '--', 'sh', '-c', script], {
      env: { PATH: '/usr/bin:/bin' },
    }).toString();
    t.equal(
      out,
      'hangup=0\ngone=129\nagain=1\nkeep alive\nkeep=129\n',
      'hung up (128 + SIGHUP), once, the other one left; SIGTERM hangs up too',
    );
  });
});

/** A process in the runner's namespaces but not under it: what docker exec starts beside the supervisor. */
function besideRunner(r: RunnerProcess) {
  const supervisor = execFileSync('pgrep', ['-P', String(r.child.pid)])
    .toString()
    .trim()
    .split('\n')[0];
  const child = spawn(
    'nsenter',
    [
      '-t',
      supervisor,
      '-p',
      '-m',
      '--',
      'setpriv',
      `--reuid=${SANDBOX_UID}`,
      `--regid=${SANDBOX_UID}`,
      '--clear-groups',
      '--',
      'sleep',
      '60',
    ],
    {
      stdio: 'ignore',
    },
  );
  return child;
}
