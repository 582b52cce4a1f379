// What a worker runs: the request as the API validated and resolved it (files as base64,
// stdin, args, env, network, root, and for judge mode the tests and their options). Kept
// apart from the record in the store and checked against this schema when read back.
import { Type, type Static } from '@sinclair/typebox';
import type { CompareMode } from './compare.js';
import { LimitsSchema } from './limits.js';
import { TestGroupSchema } from './scoring.js';

// Spelled out as a tuple: a union built by mapping an array types as never in Fastify's type
// provider (a response that holds a compare mode would not type-check).
export const CompareModeSchema = Type.Union([Type.Literal('exact'), Type.Literal('trim'), Type.Literal('tokens'), Type.Literal('float')], {
  description:
    'judge mode: exact; trim (trailing spaces and blank lines ignored, the default); tokens; float (tokens, numbers within floatTolerance)',
});
const _compareModesMatch: Static<typeof CompareModeSchema> extends CompareMode
  ? CompareMode extends Static<typeof CompareModeSchema>
    ? true
    : never
  : never = true;
void _compareModesMatch;

/** A test given in the request, or one of the problem's (its files tests/NAME.in and, with `answer`, tests/NAME.ans). */
export const JudgeTestSpecSchema = Type.Union([
  Type.Object(
    {
      name: Type.String(),
      stdin: Type.String(),
      expected: Type.String(),
      /** Globs of the work folder's files kept after this test, besides the run's. */
      artifacts: Type.Optional(Type.Array(Type.String())),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { name: Type.String(), problemFiles: Type.Object({ answer: Type.Boolean() }, { additionalProperties: false }) },
    { additionalProperties: false },
  ),
]);
export type JudgeTestSpec = Static<typeof JudgeTestSpecSchema>;

/** A checker or an interactor, its limits resolved. */
export const JudgeProgramSpecSchema = Type.Object(
  {
    language: Type.String(),
    /** The file run (or compiled) as the program. */
    entry: Type.String(),
    limits: LimitsSchema,
    /** Its files given inline (content base64), or named in a folder of the problem's bundle. */
    files: Type.Union([
      Type.Array(Type.Object({ name: Type.String(), content: Type.String({ description: 'base64' }) }, { additionalProperties: false }), {
        minItems: 1,
      }),
      Type.Object({ folder: Type.String(), names: Type.Array(Type.String(), { minItems: 1 }) }, { additionalProperties: false }),
    ]),
  },
  { additionalProperties: false },
);
export type JudgeProgramSpec = Static<typeof JudgeProgramSpecSchema>;

export const JudgeSpecSchema = Type.Object(
  {
    tests: Type.Array(JudgeTestSpecSchema, { minItems: 1 }),
    compare: CompareModeSchema,
    floatTolerance: Type.Number({ minimum: 0 }),
    /** The run stops at its first failing test (stopOnFailure, or stopOnFirstFailure). */
    stopOnFailure: Type.Boolean(),
    isolateTests: Type.Boolean(),
    checker: Type.Optional(JudgeProgramSpecSchema),
    interactor: Type.Optional(JudgeProgramSpecSchema),
    groups: Type.Optional(Type.Array(TestGroupSchema, { minItems: 1 })),
    /** The problem the tests (and the checker's and interactor's files) are read from, by its bundle's hash. */
    problem: Type.Optional(Type.Object({ id: Type.String(), hash: Type.String() }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type JudgeSpec = Static<typeof JudgeSpecSchema>;

/**
 * The compile and run argv of one run, in place of its runtime's (`{entry}` and `{sources}`
 * expand as in the catalogue): compiler options, a program started through a wrapper, or the
 * `compile` and `run` scripts of a Judge0 multi-file program. Set by the compatibility
 * facades, never by a client directly. `compile: null` runs no compile step, even for a
 * compiled runtime.
 */
export const CommandTemplatesSchema = Type.Object(
  {
    compile: Type.Optional(Type.Union([Type.Array(Type.String(), { minItems: 1 }), Type.Null()])),
    run: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
  },
  { additionalProperties: false },
);
export type CommandTemplates = Static<typeof CommandTemplatesSchema>;

export const RunSpecSchema = Type.Object(
  {
    files: Type.Array(Type.Object({ name: Type.String(), content: Type.String({ description: 'base64' }) }), { minItems: 1 }),
    stdin: Type.String(),
    args: Type.Array(Type.String()),
    env: Type.Record(Type.String(), Type.String()),
    network: Type.Boolean(),
    /** Root inside, already checked as allowed for this runtime. */
    root: Type.Optional(Type.Boolean()),
    judge: Type.Optional(JudgeSpecSchema),
    commands: Type.Optional(CommandTemplatesSchema),
    /** Keep the exited sandbox's work folder as a snapshot. */
    snapshot: Type.Optional(Type.Boolean()),
    /** Globs of the work folder's files to keep after the program (in judge mode, after every test). */
    artifacts: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false, $id: 'RunSpec' },
);
export type RunSpec = Static<typeof RunSpecSchema>;
