// POST /runs/batch (up to 20 runs, each validated and queued on its own) and
// GET /runs?ids=a,b,c (several records at once).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyError } from 'fastify';
import type { RouteDependencies } from '../run-commands.js';
import { errorBody, publicError } from '../error-handler.js';
import { ApiError } from '../errors.js';
import { ErrorSchema, RunRecordSchema, RunRequestSchema, type RunRequestBody } from '../schemas.js';
import { createBodyValidator } from '../validators.js';

export const BATCH_MAX_RUNS = 20;
export const LIST_MAX_IDS = 100;

export const BatchItemSchema = Type.Union([
  Type.Object({ id: Type.String(), status: Type.Literal('queued') }),
  Type.Object({ error: ErrorSchema }),
]);

export const ListItemSchema = Type.Union([RunRecordSchema, Type.Object({ id: Type.String(), error: ErrorSchema })]);

export const runBatchRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, deps) => {
  const { commands } = deps;
  const validateRun = createBodyValidator(RunRequestSchema, 'runs[i]');

  app.post(
    '/runs/batch',
    {
      config: { scope: 'runs' },
      schema: {
        summary: 'Submit several runs',
        description: `Up to ${BATCH_MAX_RUNS} runs, each validated on its own: the answer lists, in order, {id, status} for each queued run and {error} for each refused one.`,
        tags: ['runs'],
        body: Type.Object({ runs: Type.Array(Type.Unknown(), { minItems: 1, maxItems: BATCH_MAX_RUNS }) }, { additionalProperties: false }),
        response: { 202: Type.Array(BatchItemSchema), 400: ErrorSchema, 413: ErrorSchema },
      },
    },
    async (request, reply) => {
      const results = [];
      for (const run of request.body.runs) {
        try {
          const problem = validateRun(run);
          if (problem) throw new ApiError('invalid_request', problem);
          const record = await commands.submit(run as RunRequestBody, request.principal, { requestId: request.id });
          results.push({ id: record.id, status: 'queued' as const });
        } catch (error) {
          // Whatever refused this run (a fault too) is its item's answer: the runs already
          // queued stand, and the client sees which ones did.
          const { code, message } = publicError(error as FastifyError, request.log);
          results.push({ error: errorBody(code, message) });
        }
      }
      return reply.code(202).send(results);
    },
  );

  app.get(
    '/runs',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Read several run records',
        description: [
          `?ids=a,b,c (1 to ${LIST_MAX_IDS} distinct ids): one entry per distinct id, in the order each first appears; an unknown id gives {id, error} in its place.`,
          'Records come with their whole output until the answer carries LIST_OUTPUT_BUDGET_BYTES of it (4 MiB by default):',
          "from the first record whose output does not fit, records come without it (stdout, stderr and the compiler's and tests' output empty, outputOmitted: true);",
          'read GET /runs/{id} for the whole output.',
        ].join(' '),
        tags: ['runs'],
        querystring: Type.Object({
          ids: Type.String({ minLength: 1, description: 'comma-separated run ids; a repeated id is answered once' }),
        }),
        response: { 200: Type.Array(ListItemSchema), 400: ErrorSchema },
      },
    },
    async (request) => {
      const ids = [
        ...new Set(
          request.query.ids
            .split(',')
            .map((id) => id.trim())
            .filter((id) => id.length > 0),
        ),
      ];
      if (ids.length === 0 || ids.length > LIST_MAX_IDS)
        throw new ApiError('invalid_request', `ids must name 1 to ${LIST_MAX_IDS} distinct runs`);
      const records = await commands.list(ids, request.principal);
      return ids.map((id, i) => records[i] ?? { id, error: errorBody('not_found', `no run ${id}`) });
    },
  );
};
