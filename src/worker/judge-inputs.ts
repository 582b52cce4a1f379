// Where a judged run's tests and its checker's and interactor's files come from: the request
// itself, or the problem's bundle in the worker's cache (read a test at a time, so a large
// test set is never held in memory whole).
import { testAnswerPath, testInputPath } from '../domain/problem.js';
import type { SandboxFile } from '../sandbox/work-folder.js';
import type { JudgeProgramSpec, JudgeTestSpec } from '../domain/run-spec.js';
import type { ProblemBundle } from './problem-cache.js';

export interface JudgeTest {
  name: string;
  /** The test's input: the submission's stdin, the checker's and interactor's input.txt. */
  input(): Promise<Buffer>;
  /** The expected answer: compared with stdout, or the checker's answer.txt (empty when the test has none). */
  answer(): Promise<Buffer>;
}

export function judgeTestsOf(tests: readonly JudgeTestSpec[], bundle: ProblemBundle | undefined): JudgeTest[] {
  return tests.map((test) => {
    if ('stdin' in test) {
      return { name: test.name, input: async () => Buffer.from(test.stdin), answer: async () => Buffer.from(test.expected) };
    }
    if (!bundle) throw new Error(`test ${test.name} is a problem's, and the run names no problem`);
    return {
      name: test.name,
      input: () => bundle.read(testInputPath(test.name)),
      answer: async () => (test.problemFiles.answer ? bundle.read(testAnswerPath(test.name)) : Buffer.alloc(0)),
    };
  });
}

/** A checker's or interactor's files, decoded or read from the problem's bundle. */
export async function programFilesOf(program: JudgeProgramSpec, bundle: ProblemBundle | undefined): Promise<SandboxFile[]> {
  const { files } = program;
  if (Array.isArray(files)) return files.map((f) => ({ name: f.name, content: Buffer.from(f.content, 'base64') }));
  if (!bundle) throw new Error('a program from a problem, and the run names no problem');
  return Promise.all(files.names.map(async (name) => ({ name, content: await bundle.read(`${files.folder}/${name}`) })));
}
