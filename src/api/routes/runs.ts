// POST /runs, GET /runs/{id}, DELETE /runs/{id}.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RouteDependencies } from '../run-commands.js';
import type { Principal } from '../auth.js';
import { ApiError } from '../errors.js';
import { CreateErrorResponses, ErrorSchema, RunIdParamsSchema, RunRecordSchema, RunRequestSchema, SubmitQuerySchema } from '../schemas.js';

/** How long DELETE waits for a running run's worker to confirm the kill. */
const CANCEL_CONFIRM_MS = 3000;

export const runRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, deps) => {
  const { config } = deps;
  const { commands } = deps;

  const getRecord = async (id: string, principal: Principal) => {
    const record = await commands.find(id, principal);
    if (!record) throw new ApiError('not_found', `no run ${id}`);
    return record;
  };

  app.post(
    '/runs',
    {
      config: { scope: 'runs' },
      schema: {
        summary: 'Submit code to run',
        description: 'Queues a run and answers 202 at once; with ?wait=true holds the request until the run ends (up to WAIT_MAX_MS).',
        tags: ['runs'],
        body: RunRequestSchema,
        querystring: SubmitQuerySchema,
        response: { 200: RunRecordSchema, 202: RunRecordSchema, ...CreateErrorResponses },
      },
    },
    async (request, reply) => {
      const record = await commands.submit(request.body, request.principal, { requestId: request.id });
      reply.header('location', `/runs/${record.id}`);
      if (request.query.wait && (await deps.ends.waitForEnd(record.id, config.waitMaxMs, app.closing))) {
        return reply.code(200).send(await getRecord(record.id, request.principal));
      }
      return reply.code(202).send(request.query.wait ? await getRecord(record.id, request.principal) : record);
    },
  );

  app.get(
    '/runs/:id',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Read a run record',
        tags: ['runs'],
        params: RunIdParamsSchema,
        response: { 200: RunRecordSchema, 404: ErrorSchema },
      },
    },
    async (request) => getRecord(request.params.id, request.principal),
  );

  app.delete(
    '/runs/:id',
    {
      config: { scope: 'runs' },
      schema: {
        summary: 'Cancel a run',
        description: 'A queued run never starts; a running one has its container killed within a second. 409 when it has already ended.',
        tags: ['runs'],
        params: RunIdParamsSchema,
        response: { 202: RunRecordSchema, 404: ErrorSchema, 409: ErrorSchema },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const outcome = await commands.cancel(id, request.principal);
      if (outcome === 'missing') throw new ApiError('not_found', `no run ${id}`);
      if (outcome === 'ended') throw new ApiError('conflict', `run ${id} has already ended`);
      if (outcome === 'cancelling') await deps.ends.waitForEnd(id, CANCEL_CONFIRM_MS);
      return reply.code(202).send(await getRecord(id, request.principal));
    },
  );
};
