// Every language of the runtime catalogue, from its fixtures in test/fixtures/languages/<language>/:
// hello (stdin to stdout), a runtime error, a compile error (compiled languages), and judge
// mode with sum. The catalogue is iterated, so an entry without fixtures (or without an
// image) fails here. Languages run a few at a time; no container is left by any run.
import { readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { runtimeCatalogue, type Runtime } from '../../src/domain/runtimes.js';
import { request, runFigures, runToEnd } from '../helpers/client.js';
import { containersLeftBy, startService } from '../helpers/service.js';

/**
 * Languages whose runs are in flight together. The worker runs four at a time: most of a
 * short run is starting and removing containers, not CPU.
 */
const GROUP_SIZE = 6;
const fixtures = new URL('../fixtures/languages/', import.meta.url);

/** test/fixtures/languages/<language>/<name><sourceExtension>; throws when it is missing. */
const fixture = (runtime: Runtime, name: string) =>
  readFileSync(new URL(`${runtime.language}/${name}${runtime.sourceExtension}`, fixtures), 'utf8');

const sumTests = (firstExpected: string) => [
  { stdin: '1 2', expected: firstExpected },
  { stdin: '40 2', expected: '42' },
];

/** A run's final record, or the error that kept it from one (reported by the assertions). */
type Outcome = { record: any; containers: string[] } | { error: string };

interface LanguageOutcomes {
  hello: Outcome;
  runtimeError: Outcome;
  compileError?: Outcome;
  accepted: Outcome;
  wrongAnswer: Outcome;
}

t.test('every language in the catalogue', async (t) => {
  // Four compiles at once on a 2-core machine, under gVisor too: kotlinc alone can pass the
  // default 20 s compile limit there. This suite checks that each language works, not limits:
  // runs get 30 s of wall time and of CPU time too. In CI runs node's hello has ended at the
  // default 10 s wall limit with no output, waiting: this VM pages out file cache left
  // untouched for a minute, so a runtime not run for a minute starts from its disk, up to 13 s
  // for node with the disk busy (docs/performance.md, "Cold runtimes"). Under gVisor it once
  // ended at the 5 s CPU limit instead, with the CPU spent (gVisor's own work is charged to the
  // program; why it grew so on a loaded host is not known). A program that never ends still
  // fails.
  const { url } = await startService(t, {
    env: { WORKER_CONCURRENCY: '4', COMPILE_TIME_LIMIT_MS: '90000', RUN_TIME_LIMIT_MS: '30000', RUN_CPU_TIME_LIMIT_MS: '30000' },
  });

  const settle = async (body: Record<string, unknown>): Promise<Outcome> => {
    try {
      const record = await runToEnd(url, body);
      return { record, containers: await containersLeftBy(record.id) };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  };

  /** Starts every run of one language; a missing fixture rejects at once. */
  const runLanguage = async (runtime: Runtime): Promise<LanguageOutcomes> => {
    const language = runtime.language;
    const [hello, runtimeError, compileError, sum] = [
      fixture(runtime, 'hello'),
      fixture(runtime, 'runtime-error'),
      runtime.compile ? fixture(runtime, 'compile-error') : undefined,
      fixture(runtime, 'sum'),
    ];
    const [helloRun, runtimeErrorRun, compileErrorRun, acceptedRun, wrongAnswerRun] = await Promise.all([
      settle({ language, source: hello, stdin: 'world' }),
      settle({ language, source: runtimeError }),
      compileError === undefined ? undefined : settle({ language, source: compileError }),
      settle({ language, source: sum, tests: sumTests('3') }),
      settle({ language, source: sum, tests: sumTests('4') }),
    ]);
    return {
      hello: helloRun,
      runtimeError: runtimeErrorRun,
      compileError: compileErrorRun,
      accepted: acceptedRun,
      wrongAnswer: wrongAnswerRun,
    };
  };

  /** The record, after asserting the run ended and left no container. */
  const recordOf = (t: Test, outcome: Outcome | undefined) => {
    if (outcome === undefined || 'error' in outcome) {
      t.fail(outcome?.error ?? 'not run');
      return undefined;
    }
    t.same(outcome.containers, [], `no container left by run ${outcome.record.id}`);
    return outcome.record;
  };

  t.test('GET /runtimes lists every language with the version its image reports', async (t) => {
    const reply = await request(url, 'GET', '/runtimes');
    t.equal(reply.status, 200);
    for (const runtime of runtimeCatalogue) {
      const listed = reply.body.find((r: any) => r.language === runtime.language);
      t.ok(listed, `${runtime.language} is listed`);
      t.match(listed, { compiled: runtime.compile !== undefined, fileName: runtime.fileName }, `${runtime.language} entry`);
      t.ok(listed?.version && listed.version !== 'unknown', `${runtime.language} version ${listed?.version}`);
    }
  });

  for (let i = 0; i < runtimeCatalogue.length; i += GROUP_SIZE) {
    const group = runtimeCatalogue.slice(i, i + GROUP_SIZE);
    const outcomes = await Promise.allSettled(group.map(runLanguage));
    group.forEach((runtime, j) => {
      const settled = outcomes[j];
      t.test(runtime.language, async (t) => {
        if (settled.status === 'rejected') {
          t.fail(`fixtures of ${runtime.language}: ${settled.reason instanceof Error ? settled.reason.message : String(settled.reason)}`);
          return;
        }
        const runs = settled.value;
        const compiled = runtime.compile !== undefined;

        t.test('hello with stdin "world" prints "hello, world"', async (t) => {
          const record = recordOf(t, runs.hello);
          if (!record) return;
          t.match(record, { status: 'completed', verdict: 'ok', exitCode: 0 }, `${runFigures(record)}; stderr: ${record.stderr}`);
          t.equal(record.stdout, 'hello, world\n');
          if (compiled) t.match(record.compile, { exitCode: 0 }, `compiled: ${record.compile?.stderr}`);
          else t.equal(record.compile, null, 'no compile step');
        });

        t.test('the runtime error is runtime_error', async (t) => {
          const record = recordOf(t, runs.runtimeError);
          if (!record) return;
          t.match(record, { status: 'completed', verdict: 'runtime_error' }, `stdout: ${record.stdout} stderr: ${record.stderr}`);
        });

        if (compiled) {
          t.test('the compile error is compilation_error with the compiler stderr', async (t) => {
            const record = recordOf(t, runs.compileError);
            if (!record) return;
            t.match(record, { status: 'completed', verdict: 'compilation_error' });
            t.not(record.compile?.exitCode, 0, 'the compiler failed');
            t.ok(record.compile?.stderr.trim().length > 0, 'compile.stderr says why');
          });
        }

        t.test('judge mode: sum passes both tests', async (t) => {
          const record = recordOf(t, runs.accepted);
          if (!record) return;
          t.match(record, { status: 'completed', verdict: 'accepted' }, `compile: ${record.compile?.stderr ?? ''}`);
          t.match(record.tests, [{ verdict: 'accepted' }, { verdict: 'accepted' }]);
          t.equal(record.tests?.length, 2, 'two test results');
        });

        t.test('judge mode: a wrong expected output is wrong_answer', async (t) => {
          const record = recordOf(t, runs.wrongAnswer);
          if (!record) return;
          t.match(record, { status: 'completed', verdict: 'wrong_answer' });
          t.match(record.tests, [{ verdict: 'wrong_answer' }]);
        });
      });
    });
  }
});
