// The real runbox-run binary, built from deploy/runtimes/runner/ with the host's gcc and run as a
// plain process in namespaces of its own (test/helpers/runner-process.ts): no Docker. Every frame
// it sends is checked against the protocol's schemas by the decoder on the way in, so a report
// that does not match runner-protocol.ts fails here.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { encodeBudget, encodeData, encodeExec, encodeFile, HostFrame, type RunnerMessage } from '../../../src/sandbox/runner-protocol.js';
import { outcome, startRunner, type RunnerProcess } from '../../helpers/runner-process.js';

const S_IFREG = 0o100000;
const root = process.getuid?.() === 0;
const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));

async function withRunner(t: Test, body: (r: RunnerProcess) => Promise<void>, options?: Parameters<typeof startRunner>[0]) {
  const runner = await startRunner(options);
  t.teardown(() => runner.stop());
  t.match(await runner.next(), { type: 'ready', uid: options?.mode === 'drop' ? 0 : 1000 }, 'ready once the key is in');
  await body(runner);
}

const run = async (r: RunnerProcess, argv: string[], extra: Record<string, unknown> = {}, stdin?: string) => {
  r.exec({ argv, ...extra }, stdin);
  return outcome(await r.until('report'));
};

const putFile = (r: RunnerProcess, path: string, content: Buffer, mode = S_IFREG | 0o644) => {
  r.send(HostFrame.file, encodeFile(mode, content.length, path));
  if (content.length > 0) r.send(HostFrame.data, encodeData(0, content));
};

t.test('runbox-run as a plain process', { skip: !root && 'needs root (namespaces of its own for kill(-1) and IPC cleanup)' }, async (t) => {
  t.test('runs a program: output framed per stream, its exit code, times and memory reported', async (t) => {
    await withRunner(t, async (r) => {
      const o = await run(r, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
      t.equal(o.stdout, 'out\n');
      t.equal(o.stderr, 'err\n');
      t.match(o.report, { exitCode: 3, signal: 0, timedOut: false, cpuExceeded: false, oomKilled: false, outputExceeded: null });
      t.ok(o.report!.timeMs >= 0 && o.report!.memoryBytes > 0, 'measured');
      const killed = await run(r, ['sh', '-c', 'kill -SEGV $$']);
      t.match(killed.report, { exitCode: -1, signal: 11 }, 'a signal is reported as such');
      const missing = await run(r, ['no-such-program']);
      t.match(missing.report, { exitCode: 127 });
      t.match(missing.stderr, /cannot execute no-such-program/);
    });
  });

  t.test('writes files (folders made on the way) and feeds stdin as it comes', async (t) => {
    await withRunner(t, async (r) => {
      putFile(r, 'a/b/c.txt', Buffer.from('nested'));
      putFile(r, 'run.sh', Buffer.from('cat a/b/c.txt; cat'), S_IFREG | 0o755);
      r.send(HostFrame.sync);
      t.match(await r.until('ok'), [{ type: 'ok' }]);
      t.equal(readFileSync(join(r.work, 'a/b/c.txt'), 'utf8'), 'nested');
      t.equal(statSync(join(r.work, 'run.sh')).mode & 0o777, 0o755);
      const o = await run(r, ['sh', 'run.sh'], {}, ' and stdin');
      t.equal(o.stdout, 'nested and stdin');
    });
  });

  t.test('refuses a path out of the work folder, and every command after it until a sync', async (t) => {
    await withRunner(t, async (r) => {
      for (const bad of ['../escape', '/etc/x', 'a/../b', '']) putFile(r, bad, Buffer.from('x'));
      r.exec({ argv: ['true'] });
      r.send(HostFrame.sync);
      const messages = await r.until('ok');
      const errors = messages.filter((m): m is Extract<RunnerMessage, { type: 'error' }> => m.type === 'error');
      t.match(errors[0].error, /bad path/);
      t.match(errors.at(-1)!.error, /not run: an earlier command failed/, 'the exec after a failure is refused');
      t.notOk(
        messages.some((m) => m.type === 'report'),
        'nothing ran',
      );
      t.equal((await run(r, ['echo', 'after the sync'])).stdout, 'after the sync\n', 'a sync ends the refusal');
    });
  });

  t.test("gives the request's environment to the program alone, and finds the program through its own PATH", async (t) => {
    await withRunner(t, async (r) => {
      const o = await run(r, ['sh', '-c', 'echo "$FOO $TAR_OPTIONS"; command -v sh'], {
        env: { FOO: 'bar', TAR_OPTIONS: '--evil', PATH: '/nowhere' },
      });
      t.equal(o.stdout, 'bar --evil\n', 'the program sees its env; PATH=/nowhere then hides sh from it, not from runbox-run');
      t.equal((await run(r, ['sh', '-c', 'echo "[$FOO]"'])).stdout, '[]\n', 'the next execution does not inherit it');
    });
  });

  t.test('enforces the wall-time limit', async (t) => {
    await withRunner(t, async (r) => {
      const o = await run(r, ['sleep', '5'], { timeMs: 300 });
      t.match(o.report, { timedOut: true, signal: 9 });
      t.ok(o.report!.timeMs >= 300 && o.report!.timeMs < 1500, `stopped at ${o.report!.timeMs} ms`);
    });
  });

  t.test('enforces the CPU-time limit after the program closes its stdout and stderr, and reports the CPU time', async (t) => {
    await withRunner(t, async (r) => {
      const started = Date.now();
      const o = await run(r, ['sh', '-c', 'exec >&- 2>&-; while :; do :; done'], { cpuMs: 300, timeMs: 10_000 });
      t.match(o.report, { cpuExceeded: true, signal: 9 });
      t.ok(o.report!.cpuTimeMs >= 250, `cpuTimeMs ${o.report!.cpuTimeMs}`);
      t.ok(Date.now() - started < 3000, 'long before the wall limit');
    });
  });

  t.test('cuts output at the cap and says which stream went over', async (t) => {
    await withRunner(t, async (r) => {
      const o = await run(r, ['sh', '-c', 'yes'], { outputBytes: 1000 });
      t.equal(o.stdout.length, 1000);
      t.match(o.report, { outputExceeded: 'stdout' });
    });
  });

  t.test('kills what the program leaves running when it exits', async (t) => {
    await withRunner(t, async (r) => {
      const started = Date.now();
      const o = await run(r, ['sh', '-c', '(sleep 30; echo late) & echo main']);
      t.equal(o.stdout, 'main\n');
      t.ok(Date.now() - started < 3000, 'not held by the sleeper');
    });
  });

  t.test('snapshot and restore: the work and scratch folders back as they were', async (t) => {
    await withRunner(t, async (r) => {
      putFile(r, 'keep.txt', Buffer.from('original'));
      r.send(HostFrame.snapshot);
      r.send(HostFrame.sync);
      await r.until('ok');
      await run(r, ['sh', '-c', `echo changed > keep.txt; echo new > new.txt; mkdir -p d/e; chmod 000 d; echo x > ${r.scratch}/planted`]);
      r.send(HostFrame.restore);
      r.send(HostFrame.sync);
      t.match(await r.until('ok'), [{ type: 'ok' }], 'restored without an error');
      const o = await run(r, ['sh', '-c', `ls -A; cat keep.txt; ls -A ${r.scratch}`]);
      t.equal(o.stdout, 'keep.txt\noriginal');
    });
  });

  t.test('collect: the work folder back as files and data, holes skipped, within its budget', async (t) => {
    await withRunner(t, async (r) => {
      await run(r, ['sh', '-c', 'truncate -s 50M sparse; printf tail >> sparse; mkdir sub; echo hi > sub/f; ln -s sub/f link']);
      r.send(HostFrame.collect, encodeBudget(1 << 20));
      const messages = await r.until('collected');
      const files = messages.flatMap((m) => (m.type === 'file' ? [[m.path, m.size]] : []));
      t.same(
        new Set(files.map((f) => JSON.stringify(f))),
        new Set(
          [
            ['sparse', 50 * 1024 * 1024 + 4],
            ['sub', 0],
            ['sub/f', 3],
            ['link', 5],
          ].map((f) => JSON.stringify(f)),
        ),
      );
      const data = messages.reduce((n, m) => n + (m.type === 'data' ? m.data.length : 0), 0);
      t.ok(data < 1024, `${data} bytes of data for a 50 MiB sparse file`);
      t.match(messages.at(-1), { type: 'collected', collected: { exceeded: false, files: 4 } });

      await run(r, ['sh', '-c', 'head -c 300000 /dev/urandom > big; for i in 1 2 3 4 5 6 7 8; do ln big big$i; done']);
      r.send(HostFrame.collect, encodeBudget(1 << 20));
      const over = await r.until('collected');
      t.match(over.at(-1), { type: 'collected', collected: { exceeded: true } }, 'hard links count each time: over the budget');
      const sent = over.reduce((n, m) => n + (m.type === 'data' ? m.data.length : 0), 0);
      t.ok(sent <= 1 << 20, `stopped within the budget (${sent} bytes)`);
    });
  });

  t.test(
    'refuses vsock, io_uring and new namespaces to the program with its own seccomp filter',
    { skip: !python && 'no python3 on this host' },
    async (t) => {
      await withRunner(t, async (r) => {
        const probe = [
          'import ctypes, errno, os, socket',
          'libc = ctypes.CDLL(None, use_errno=True)',
          'def call(name, *args):',
          '    rc = libc.syscall(*args)',
          '    print(name, "ok" if rc >= 0 else errno.errorcode[ctypes.get_errno()])',
          'try:',
          '    socket.socket(40, socket.SOCK_STREAM); print("vsock ok")',
          'except OSError as e: print("vsock", errno.errorcode[e.errno])',
          'call("io_uring_setup", 425, 8, None)',
          'call("unshare_user", 272, 0x10000000)',
          'socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); print("unix ok")',
        ].join('\n');
        putFile(r, 'probe.py', Buffer.from(probe));
        const o = await run(r, [python!, 'probe.py']);
        t.equal(o.stdout, 'vsock EPERM\nio_uring_setup EPERM\nunshare_user EPERM\nunix ok\n');
      });
    },
  );

  t.test('a frame that fails its tag ends the conversation: nothing in the sandbox speaks for the worker', async (t) => {
    await withRunner(t, async (r) => {
      const forged = encodeExec({ argv: ['echo', 'forged'], env: {}, timeMs: 1000, cpuMs: 1000, outputBytes: 100 });
      const head = Buffer.from([HostFrame.exec.charCodeAt(0), 0, 0, 0, 0]);
      head.writeUInt32BE(forged.length, 1);
      r.sendRaw(Buffer.concat([head, forged, Buffer.alloc(16)]));
      t.match(await r.next(), { type: 'error', error: /failed its tag/ });
      t.equal(await r.exited, 125);
    });
  });

  t.test("a command before the last program's stdin has ended is a broken worker: refused, and it exits", async (t) => {
    await withRunner(t, async (r) => {
      r.send(HostFrame.exec, encodeExec({ argv: ['true'], env: {}, timeMs: 1000, cpuMs: 1000, outputBytes: 100 }));
      await r.until('report');
      r.send(HostFrame.snapshot);
      t.match(await r.next(), { type: 'error', error: /before the end of the last program's stdin/ });
      t.equal(await r.exited, 125);
    });
  });

  t.test(
    "reads the sandbox's cgroup from files it opened before any program ran: a program cannot put its own in their place",
    async (t) => {
      const cgroup = mkdtempSync(join(tmpdir(), 'runbox-cgroup-'));
      t.teardown(() => rmSync(cgroup, { recursive: true, force: true }));
      mkdirSync(join(cgroup, 'memory'));
      writeFileSync(join(cgroup, 'memory/memory.max_usage_in_bytes'), '12345678\n');
      chmodSync(cgroup, 0o777);
      chmodSync(join(cgroup, 'memory'), 0o777);
      await withRunner(
        t,
        async (r) => {
          t.equal((await run(r, ['true'], { cgroupPeak: true })).report?.memoryBytes, 12345678, "a run's memory is the cgroup's peak");
          const replaced = await run(
            r,
            ['sh', '-c', `rm ${cgroup}/memory/memory.max_usage_in_bytes && echo 1 > ${cgroup}/memory/memory.max_usage_in_bytes`],
            { cgroupPeak: true },
          );
          t.equal(replaced.report?.exitCode, 0, 'the program replaced the file');
          t.equal(replaced.report?.memoryBytes, 12345678, 'and runbox-run still reads the one it opened');
        },
        { cgroup },
      );
    },
  );

  t.test('quit answers bye and exits 0', async (t) => {
    await withRunner(t, async (r) => {
      r.send(HostFrame.quit);
      t.match(await r.next(), { type: 'bye' });
      t.equal(await r.exited, 0);
    });
  });

  t.test('started as root (as under gVisor), it runs the program as uid 1000 with no capabilities', async (t) => {
    await withRunner(
      t,
      async (r) => {
        putFile(r, 'f', Buffer.from('x'));
        r.send(HostFrame.sync);
        await r.until('ok');
        t.equal(statSync(join(r.work, 'f')).uid, 1000, "files are the program's");
        const o = await run(r, ['sh', '-c', 'id -u; grep CapEff /proc/self/status']);
        t.equal(o.stdout, '1000\nCapEff:\t0000000000000000\n');
      },
      { mode: 'drop' },
    );
  });
});

t.test('the C sources build without a warning', async (t) => {
  const { buildRunner } = await import('../../helpers/runner-process.js');
  t.ok(existsSync(buildRunner()), 'gcc -Wall -Werror built it');
  t.match(execFileSync('gcc', ['--version']).toString(), /gcc/);
});
