// Schemas of the problem routes and of problem.json, the settings file inside a problem's
// archive: the one source for validation, types and openapi.yaml.
import { Type, type Static } from '@sinclair/typebox';
import { LimitsSchema } from '../domain/limits.js';
import { PROBLEM_ID_PATTERN, ProblemSchema } from '../domain/problem.js';
import { CompareModeSchema } from '../domain/run-spec.js';

export const ProblemIdParamsSchema = Type.Object({ id: Type.String({ pattern: PROBLEM_ID_PATTERN }) });

const programSettings = (role: string) =>
  Type.Object(
    {
      language: Type.String({ minLength: 1, description: 'a runtime id or alias from GET /runtimes' }),
      entry: Type.Optional(
        Type.String({
          description: `the file of ${role}/ run (or compiled) as the program; default: the runtime's fileName, or the one file with its extension`,
        }),
      ),
      limits: Type.Optional(Type.Partial(LimitsSchema)),
    },
    { additionalProperties: false },
  );

/** problem.json: everything but the files. */
export const ProblemSettingsSchema = Type.Object(
  {
    limits: Type.Optional(Type.Partial(LimitsSchema, { description: "the submissions' limits, over the server's and the runtime's" })),
    compare: Type.Optional(CompareModeSchema),
    floatTolerance: Type.Optional(Type.Number({ minimum: 0 })),
    stopOnFirstFailure: Type.Optional(Type.Boolean()),
    checker: Type.Optional(programSettings('checker')),
    interactor: Type.Optional(programSettings('interactor')),
    groups: Type.Optional(
      Type.Array(
        Type.Object(
          {
            tests: Type.Array(Type.Union([Type.String(), Type.Integer({ minimum: 0 })]), {
              minItems: 1,
              description: 'test names (tests/NAME.in), or indices in the order tests run',
            }),
            points: Type.Number({ minimum: 0 }),
            dependencies: Type.Optional(Type.Array(Type.Integer({ minimum: 0 }))),
            stopOnFirstFailure: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        { minItems: 1 },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ProblemSettings = Static<typeof ProblemSettingsSchema>;

export { ProblemSchema };
