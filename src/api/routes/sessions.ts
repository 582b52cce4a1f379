// POST /sessions, GET /sessions, GET and DELETE /sessions/{id}, POST /sessions/{id}/keepalive
// and POST /sessions/{id}/snapshot: a session's life. Its commands go to the worker that holds it
// (session-client.ts).
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SessionStatus } from '../../domain/session-record.js';
import { canSee } from '../auth.js';
import type { AppDependencies } from '../deps.js';
import { ApiError } from '../errors.js';
import { page } from '../pages.js';
import { CreateErrorResponses, ErrorSchema } from '../schemas.js';
import {
  CreateSessionRequestSchema,
  PageQuerySchema,
  SessionIdParamsSchema,
  SessionListSchema,
  SessionRecordSchema,
  SnapshotCreatedSchema,
  SnapshotRequestSchema,
} from '../session-schemas.js';
import { checkTakesRuns, loadRuntimeViews } from '../runtime-catalogue.js';
import { prepareSession, type SessionBase } from '../session-submission.js';

export const sessionRoutes: FastifyPluginAsyncTypebox<AppDependencies> = async (app, deps) => {
  const { config, sessions } = deps;
  const newId = deps.newId ?? randomUUID;

  app.post(
    '/sessions',
    {
      config: { scope: 'runs' },
      schema: {
        summary: 'Open a session',
        description:
          'Starts a sandbox that stays open for commands (exec, files, a terminal) until DELETE, its idle timeout, or its maximum lifetime; with snapshot, on the work folder of a snapshot of this key. Answers once it is ready.',
        tags: ['sessions'],
        body: CreateSessionRequestSchema,
        response: { 201: SessionRecordSchema, ...CreateErrorResponses, 500: ErrorSchema },
      },
    },
    async (request, reply) => {
      const { principal } = request;
      let base: SessionBase | undefined;
      let engine: string | undefined;
      if (request.body.snapshot !== undefined) {
        const snapshot = await sessions.snapshots.get(request.body.snapshot);
        if (!snapshot || !canSee(principal, snapshot.owner)) throw new ApiError('not_found', `no snapshot ${request.body.snapshot}`);
        base = { id: snapshot.record.id, language: snapshot.record.language, image: snapshot.image };
        engine = snapshot.engine;
      }
      const views = await loadRuntimeViews(deps);
      const { record, request: open } = prepareSession(
        request.body,
        config,
        views.map((v) => v.runtime),
        newId(),
        new Date(),
        base,
      );
      checkTakesRuns(views.find((v) => v.runtime.language === record.language));
      const worker = await sessions.pickWorker(engine);
      if (!worker) {
        throw new ApiError(
          'sessions_full',
          engine ? "no live worker on the snapshot's Docker engine has room for a session" : 'no live worker has room for a session',
        );
      }
      const admission = await sessions.store.create(record, principal.name, worker.id, {
        maxPerKey: config.sessionMaxPerKey,
        maxTotal: config.sessionMaxTotal,
      });
      if (!admission.admitted) {
        throw admission.refusal === 'key'
          ? new ApiError('too_many_sessions', `this key has ${config.sessionMaxPerKey} sessions open (SESSION_MAX_PER_KEY); DELETE one`)
          : new ApiError('sessions_full', `${config.sessionMaxTotal} sessions are open (SESSION_MAX_TOTAL); retry later`);
      }
      try {
        await sessions.call(worker.id, { kind: 'open', sessionId: record.id, request: open });
      } catch (error) {
        // The worker ends a session it could not open; one that never answered leaves it starting.
        await sessions.store.end(record.id, 'ended', 'failed', (error as Error).message).catch(() => undefined);
        throw error;
      }
      const opened = await sessions.store.get(record.id);
      if (!opened) throw new ApiError('internal_error', 'the session record is gone');
      request.log.info({ sessionId: record.id, worker: worker.id, key: principal.name }, 'session opened');
      return reply.code(201).header('location', `/sessions/${record.id}`).send(opened.record);
    },
  );

  app.get(
    '/sessions',
    {
      config: { scope: 'read' },
      schema: {
        summary: "List the key's open sessions",
        description: 'Newest first, a page at a time: pass nextCursor as cursor for the next page (null on the last).',
        tags: ['sessions'],
        querystring: PageQuerySchema,
        response: { 200: SessionListSchema, 400: ErrorSchema },
      },
    },
    async (request) => {
      const listed = page(await sessions.store.listOpen(request.principal.name), request.query.limit ?? 20, request.query.cursor);
      if (!listed) throw new ApiError('invalid_request', 'cursor is not one this list gave');
      return { sessions: listed.items, nextCursor: listed.nextCursor };
    },
  );

  app.get(
    '/sessions/:id',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Read a session',
        description: 'Its status: starting, ready, ended (with endReason) or lost (its worker stopped answering).',
        tags: ['sessions'],
        params: SessionIdParamsSchema,
        response: { 200: SessionRecordSchema, 404: ErrorSchema },
      },
    },
    async (request) => {
      const stored = await sessions.find(request.params.id, request.principal);
      if (!stored) throw new ApiError('not_found', `no session ${request.params.id}`);
      return stored.record;
    },
  );

  app.delete(
    '/sessions/:id',
    {
      config: { scope: 'runs' },
      schema: {
        summary: 'End a session',
        description:
          'Ends it at once (204): its commands and terminals stop, and its container is removed right after. A session that has already ended: 409.',
        tags: ['sessions'],
        params: SessionIdParamsSchema,
        response: {
          204: { type: 'null', description: 'ended; its container is being removed' },
          404: ErrorSchema,
          409: ErrorSchema,
          503: ErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const stored = await sessions.ready(request.params.id, request.principal);
      try {
        await sessions.call(stored.worker, { kind: 'close', sessionId: stored.record.id });
      } catch (error) {
        // Lost meanwhile: its sandbox went with its worker (or is reaped), so it has ended all the same.
        const now = await sessions.store.get(stored.record.id);
        if (now?.record.status !== SessionStatus.lost) throw error;
      }
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/sessions/:id/keepalive',
    {
      config: { scope: 'runs' },
      schema: {
        summary: "Renew a session's idle timer",
        description: 'As any command does; answers the record with its new expiresAt.',
        tags: ['sessions'],
        params: SessionIdParamsSchema,
        response: { 200: SessionRecordSchema, 404: ErrorSchema, 409: ErrorSchema, 503: ErrorSchema },
      },
    },
    async (request) => {
      const stored = await sessions.ready(request.params.id, request.principal);
      await sessions.call(stored.worker, { kind: 'keepalive', sessionId: stored.record.id });
      return (await sessions.store.get(stored.record.id))!.record;
    },
  );

  app.post(
    '/sessions/:id/snapshot',
    {
      config: { scope: 'runs' },
      schema: {
        summary: "Snapshot a session's work folder",
        description:
          "Keeps the work folder as an image (SNAPSHOT_RETENTION_S), within the key's snapshot quota; POST /sessions {snapshot} opens a session on it. 409 while the session runs another command.",
        tags: ['sessions', 'snapshots'],
        params: SessionIdParamsSchema,
        body: SnapshotRequestSchema,
        response: { 201: SnapshotCreatedSchema, ...CreateErrorResponses, 500: ErrorSchema },
      },
    },
    async (request, reply) => {
      const stored = await sessions.ready(request.params.id, request.principal);
      const snapshotId = newId();
      await sessions.call(stored.worker, {
        kind: 'snapshot',
        sessionId: stored.record.id,
        snapshotId,
        label: request.body?.label ?? `session ${stored.record.id}`,
        // A snapshot belongs to the session's key, also when an admin key takes it.
        owner: stored.owner,
      });
      return reply.code(201).header('location', `/snapshots/${snapshotId}`).send({ snapshot: snapshotId });
    },
  );
};
