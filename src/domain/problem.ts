// A problem: test files uploaded once (PUT /problems/{id}), with their checker, interactor,
// limits, groups and comparison, that runs are judged against by reference. This is the record
// the store keeps and GET /problems/{id} answers; the files themselves are in the problem's
// bundle (lib/problem-bundle.ts), named by its hash.
import { Type, type Static } from '@sinclair/typebox';
import { LimitsSchema } from './limits.js';
import { CompareModeSchema } from './run-spec.js';
import { TestGroupSchema } from './scoring.js';

export const PROBLEM_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

const ProblemProgramSchema = Type.Object({
  language: Type.String(),
  entry: Type.String({ description: 'the file run (or compiled) as the program' }),
  files: Type.Array(Type.String(), { description: "the program's files, as named in its folder of the archive" }),
  limits: Type.Optional(Type.Partial(LimitsSchema)),
});
export type ProblemProgram = Static<typeof ProblemProgramSchema>;

export const ProblemTestSchema = Type.Object({
  name: Type.String(),
  inputBytes: Type.Integer(),
  answerBytes: Type.Union([Type.Integer(), Type.Null()], { description: 'null: no .ans (an interactive problem may do without)' }),
});

export const ProblemSchema = Type.Object(
  {
    id: Type.String(),
    hash: Type.String({ description: 'SHA-256 of the stored bundle; workers cache it under this name' }),
    bytes: Type.Integer({ description: "the stored bundle's size, counted against the uploading key's quota" }),
    owner: Type.String({ description: 'the API key that uploaded it' }),
    createdAt: Type.String({ format: 'date-time' }),
    tests: Type.Array(ProblemTestSchema, { description: 'in the order they run: by name, numbers in names compared as numbers' }),
    limits: Type.Partial(LimitsSchema, {
      description: "the problem's limits, over the server's and the runtime's; a run's own limits go over them",
    }),
    compare: CompareModeSchema,
    floatTolerance: Type.Number(),
    stopOnFirstFailure: Type.Boolean(),
    checker: Type.Optional(ProblemProgramSchema),
    interactor: Type.Optional(ProblemProgramSchema),
    groups: Type.Optional(Type.Array(TestGroupSchema)),
  },
  { $id: 'Problem' },
);
export type Problem = Static<typeof ProblemSchema>;

/** Where a test's files are in the bundle. */
export const testInputPath = (name: string) => `tests/${name}.in`;
export const testAnswerPath = (name: string) => `tests/${name}.ans`;

/** Compares names with the numbers in them as numbers: 2 before 10, 01 before 1a. */
export function naturalCompare(a: string, b: string): number {
  const parts = (s: string) => s.match(/\d+|\D+/g) ?? [];
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const [x, y] = [pa[i], pb[i]];
    const numbers = /^\d/.test(x) && /^\d/.test(y);
    if (numbers) {
      const nx = x.replace(/^0+/, '');
      const ny = y.replace(/^0+/, '');
      if (nx.length !== ny.length) return nx.length - ny.length;
      if (nx !== ny) return nx < ny ? -1 : 1;
      if (x.length !== y.length) return x.length - y.length;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return pa.length - pb.length;
}
