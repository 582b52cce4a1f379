// Every verdict from real programs in real containers, the five languages, and no container
// left behind by any of them.
import t from 'tap';
import { runFigures, runToEnd } from '../helpers/client.js';
import { containersLeftBy, sandboxRuntime, startService } from '../helpers/service.js';

t.test('verdicts and languages', async (t) => {
  const { url } = await startService(t, { env: { WORKER_CONCURRENCY: '2' } });
  // For the runs that check a language works, not a limit (the hellos, node's exception): 30 s
  // of wall and CPU time, as in the languages suite and for its reason (a runtime not run for a
  // minute starts from the disk on this VM: node's start has taken up to 13 s with the disk
  // busy). A program that never ends still fails.
  const roomy = { timeMs: 30_000, cpuTimeMs: 30_000 };
  const run = async (body: Record<string, unknown>) => {
    const record = await runToEnd(url, body);
    t.same(await containersLeftBy(record.id), [], `no container left by ${record.id}`);
    return record;
  };

  t.test('each language says hello to stdin', async (t) => {
    const programs: Record<string, string> = {
      python: 'print("hello, " + input())',
      javascript: 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log("hello, "+s.trim()))',
      c: '#include <stdio.h>\nint main(void){char b[64];scanf("%63s",b);printf("hello, %s\\n",b);return 0;}',
      cpp: '#include <iostream>\n#include <string>\nint main(){std::string s;std::cin>>s;std::cout<<"hello, "<<s<<"\\n";}',
      bash: 'read name; echo "hello, $name"',
    };
    await Promise.all(
      Object.entries(programs).map(async ([language, source]) => {
        const record = await run({ language, source, stdin: 'world\n', limits: roomy });
        t.match(
          record,
          { status: 'completed', verdict: 'ok', stdout: 'hello, world\n', exitCode: 0 },
          `${language}: ${runFigures(record)}`,
        );
        if (language === 'c' || language === 'cpp') t.match(record.compile, { exitCode: 0 }, `${language} compiled`);
        else t.equal(record.compile, null, `${language} has no compile step`);
      }),
    );
  });

  t.test('a C program that does not compile is compilation_error with the compiler stderr', async (t) => {
    const record = await run({ language: 'c', source: 'int main(void) { return undefined_thing; }' });
    t.match(record, { status: 'completed', verdict: 'compilation_error', stdout: '', exitCode: null });
    t.not(record.compile.exitCode, 0);
    t.match(record.compile.stderr, /undefined_thing/);
  });

  t.test('a C++ program split over files with a header compiles and runs', async (t) => {
    const record = await run({
      language: 'cpp',
      files: [
        {
          name: 'main.cpp',
          content: '#include "lib/add.hpp"\n#include <iostream>\nint main(){int a,b;std::cin>>a>>b;std::cout<<add(a,b)<<"\\n";}',
        },
        { name: 'lib/add.hpp', content: 'int add(int a, int b);' },
        { name: 'add.cpp', content: '#include "lib/add.hpp"\nint add(int a, int b){return a+b;}' },
      ],
      stdin: '2 40',
    });
    t.match(record, { verdict: 'ok', stdout: '42\n' });
  });

  t.test('a non-zero exit is runtime_error with its code', async (t) => {
    const record = await run({ language: 'python', source: 'import sys\nprint("bad", file=sys.stderr)\nsys.exit(3)' });
    t.match(record, { status: 'completed', verdict: 'runtime_error', exitCode: 3, signal: null, stderr: 'bad\n' });
  });

  t.test('an uncaught exception is runtime_error', async (t) => {
    const record = await run({ language: 'javascript', source: 'throw new Error("boom")', limits: roomy });
    t.match(record, { verdict: 'runtime_error', exitCode: 1, stderr: /boom/ }, runFigures(record));
  });

  t.test('death by a signal is runtime_error with the signal name', async (t) => {
    const record = await run({ language: 'c', source: '#include <signal.h>\nint main(void){ int *p = 0; return *p; }' });
    t.match(record, { verdict: 'runtime_error', exitCode: null, signal: 'SIGSEGV' });
  });

  t.test('an endless loop is time_limit_exceeded near the wall limit', async (t) => {
    const record = await run({ language: 'python', source: 'while True: pass', limits: { timeMs: 1000 } });
    t.match(record, { status: 'completed', verdict: 'time_limit_exceeded' });
    t.ok(record.timeMs >= 1000 && record.timeMs < 3000, `timeMs ${record.timeMs}`);
  });

  t.test('sleeping past the limit is time_limit_exceeded', async (t) => {
    const record = await run({ language: 'bash', source: 'sleep 10', limits: { timeMs: 500 } });
    t.equal(record.verdict, 'time_limit_exceeded');
  });

  t.test('allocating past the memory limit is memory_limit_exceeded', async (t) => {
    const record = await run({ language: 'python', source: 'x = bytearray(200 * 1024 * 1024)\nprint(len(x))', limits: { memoryMb: 64 } });
    t.match(record, { status: 'completed', verdict: 'memory_limit_exceeded' });
  });

  t.test('a C program growing until killed is memory_limit_exceeded', async (t) => {
    const record = await run({
      language: 'c',
      source: '#include <stdlib.h>\n#include <string.h>\nint main(void){for(;;){char*p=malloc(1<<20);if(!p)return 7;memset(p,1,1<<20);}}',
      limits: { memoryMb: 32 },
    });
    t.equal(record.verdict, 'memory_limit_exceeded');
  });

  t.test('memory_limit_exceeded also when a shell runs the hog, and when the program catches MemoryError badly', async (t) => {
    const underShell = await run({
      language: 'python',
      source:
        'import subprocess\nr = subprocess.run(["sh", "-c", "python3 -c \'x = bytearray(300 * 1024 * 1024)\'"])\nprint("parent goes on", r.returncode)',
      limits: { memoryMb: 64 },
    });
    // Under gVisor the OOM killer takes the whole sandbox, parent included (docs/security.md).
    if (sandboxRuntime() === 'runsc') t.equal(underShell.stdout, '', 'under gVisor the parent goes with its child');
    else t.equal(underShell.stdout, 'parent goes on 137\n', 'the parent survived its child');
    t.equal(underShell.verdict, 'memory_limit_exceeded', 'the kernel killed a child for memory');
    const catching = await run({
      language: 'python',
      source: [
        'blocks = []',
        'try:',
        '    while True: blocks.append(bytearray(8 * 1024 * 1024))',
        'except MemoryError:',
        '    print("caught")',
      ].join('\n'),
      limits: { memoryMb: 64 },
    });
    t.equal(catching.verdict, 'memory_limit_exceeded');
  });

  t.test('output past outputBytes stops the program: output_limit_exceeded, truncated', async (t) => {
    const record = await run({ language: 'python', source: 'while True: print("y" * 1000)', limits: { outputBytes: 10_000 } });
    t.match(record, { verdict: 'output_limit_exceeded', stdoutTruncated: true, stderrTruncated: false });
    t.equal(Buffer.byteLength(record.stdout), 10_000);
  });

  t.test('a flood on stderr is cut the same way', async (t) => {
    const record = await run({ language: 'bash', source: 'yes err >&2', limits: { outputBytes: 5000 } });
    t.match(record, { verdict: 'output_limit_exceeded', stderrTruncated: true });
    t.equal(record.stderr.length, 5000);
  });

  t.test('a background child dies with the program and the run ends promptly', async (t) => {
    const started = Date.now();
    const record = await run({ language: 'bash', source: '(sleep 60; echo late) &\necho main done', limits: { timeMs: 10_000 } });
    t.match(record, { verdict: 'ok', stdout: 'main done\n' });
    t.ok(Date.now() - started < 5000, 'did not wait for the child');
  });

  t.test('the sandbox has no network but loopback, a read-only root and a non-root user', async (t) => {
    const record = await run({
      language: 'bash',
      // /proc/net/dev, not /sys/class/net, which gVisor does not have.
      source:
        'awk -F: \'NR > 2 { gsub(/ /, "", $1); print $1 }\' /proc/net/dev | tr "\\n" " "; echo; id -u; touch /etc/x 2>/dev/null && echo wrote || echo readonly; grep CapEff /proc/self/status',
    });
    const [nets, uid, root, caps] = record.stdout.split('\n');
    t.equal(nets.trim(), 'lo');
    t.equal(uid, '1000');
    t.equal(root, 'readonly');
    t.match(caps, /CapEff:\s+0+$/);
  });
});

t.test('a compile that runs out of time is compilation_error and says so', async (t) => {
  const { url } = await startService(t, { env: { COMPILE_TIME_LIMIT_MS: '300' } });
  const record = await runToEnd(url, { language: 'cpp', source: '#include <bits/stdc++.h>\nint main(){std::cout<<1;}' });
  t.equal(record.verdict, 'compilation_error');
  t.match(record.compile.stderr, /time limit of 300 ms/);
  t.same(await containersLeftBy(record.id), []);
});

t.test('a compile whose output passes its cap is compilation_error and says so', async (t) => {
  const { url } = await startService(t, { env: { COMPILE_OUTPUT_BYTES: '2048' } });
  const source = `int main(void){\n${'  int x = ;\n'.repeat(200)}}\n`;
  const record = await runToEnd(url, { language: 'c', source });
  t.equal(record.verdict, 'compilation_error');
  t.match(record.compile.stderr, /compilation exceeded its output limit of 2048 bytes$/);
  t.same(await containersLeftBy(record.id), []);
});
