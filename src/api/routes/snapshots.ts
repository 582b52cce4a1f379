// GET /snapshots (the key's own, a page at a time), GET and DELETE /snapshots/{id}. A snapshot is
// an image on one Docker engine; its removal goes to a live worker on that engine, and where none
// is left the reaper of the next one removes the image at its expiry.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { canSee, type Principal } from '../auth.js';
import type { AppDependencies } from '../deps.js';
import { ApiError } from '../errors.js';
import { page } from '../pages.js';
import { ErrorSchema } from '../schemas.js';
import { PageQuerySchema, SessionIdParamsSchema, SnapshotListSchema, SnapshotRecordSchema } from '../session-schemas.js';

export const snapshotRoutes: FastifyPluginAsyncTypebox<AppDependencies> = async (app, deps) => {
  const { sessions } = deps;

  const find = async (id: string, principal: Principal) => {
    const stored = await sessions.snapshots.get(id);
    if (!stored || !canSee(principal, stored.owner)) throw new ApiError('not_found', `no snapshot ${id}`);
    return stored;
  };

  app.get(
    '/snapshots',
    {
      config: { scope: 'read' },
      schema: {
        summary: "List the key's snapshots",
        description: 'Newest first, a page at a time: pass nextCursor as cursor for the next page (null on the last).',
        tags: ['snapshots'],
        querystring: PageQuerySchema,
        response: { 200: SnapshotListSchema, 400: ErrorSchema },
      },
    },
    async (request) => {
      const listed = page(await sessions.snapshots.list(request.principal.name), request.query.limit ?? 20, request.query.cursor);
      if (!listed) throw new ApiError('invalid_request', 'cursor is not one this list gave');
      return { snapshots: listed.items, nextCursor: listed.nextCursor };
    },
  );

  app.get(
    '/snapshots/:id',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Read a snapshot',
        tags: ['snapshots'],
        params: SessionIdParamsSchema,
        response: { 200: SnapshotRecordSchema, 404: ErrorSchema },
      },
    },
    async (request) => (await find(request.params.id, request.principal)).record,
  );

  app.delete(
    '/snapshots/:id',
    {
      config: { scope: 'runs' },
      schema: {
        summary: 'Delete a snapshot',
        description:
          "Frees its place in the key's quota at once; its image is removed by a worker on its Docker engine (one that a sandbox still uses is retried at each worker heartbeat once that sandbox is gone, and once more when the worker stops, after its sandboxes are removed; else the reaper takes it at its expiry).",
        tags: ['snapshots'],
        params: SessionIdParamsSchema,
        response: { 204: { type: 'null', description: 'deleted' }, 404: ErrorSchema },
      },
    },
    async (request, reply) => {
      const stored = await find(request.params.id, request.principal);
      await sessions.snapshots.remove(stored.record.id, stored.owner);
      const worker = await sessions.pickWorker(stored.engine, { needsRoom: false }).catch(() => undefined);
      if (worker) {
        await sessions
          .call(worker.id, { kind: 'removeSnapshot', snapshotId: stored.record.id }, { timeoutMs: 10_000 })
          .catch((error) => request.log.warn({ err: error, snapshotId: stored.record.id }, 'a snapshot image was left for the reaper'));
      }
      return reply.code(204).send(null);
    },
  );
};
