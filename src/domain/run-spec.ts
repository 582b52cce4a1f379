// What a worker runs: the request as the API validated and resolved it (files as base64,
// stdin, args, env, network, root, and for judge mode the tests and their options). Kept
// apart from the record in the store and checked against this schema when read back.
import { Type, type Static } from '@sinclair/typebox';
import { compareModes } from './compare.js';

export const CompareModeSchema = Type.Union(
  compareModes.map((mode) => Type.Literal(mode)),
  {
    description:
      'judge mode: exact; trim (trailing spaces and blank lines ignored, the default); tokens; float (tokens, numbers within floatTolerance)',
  },
);

export const JudgeSpecSchema = Type.Object(
  {
    tests: Type.Array(Type.Object({ name: Type.String(), stdin: Type.String(), expected: Type.String() }), { minItems: 1 }),
    compare: CompareModeSchema,
    floatTolerance: Type.Number({ minimum: 0 }),
    stopOnFailure: Type.Boolean(),
    isolateTests: Type.Boolean(),
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
  },
  { additionalProperties: false, $id: 'RunSpec' },
);
export type RunSpec = Static<typeof RunSpecSchema>;
