// PUT, GET and DELETE /sessions/{id}/files/{path}: a session's work folder, one path at a time,
// through runbox-run in the sandbox (the host never opens a path of the sandbox's). A PUT's body
// is the file's bytes, whatever its content type; a GET answers a file's bytes or, for a folder,
// its entries as JSON. Paths obey the file-name rules; links are listed, never followed.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { AppDependencies } from '../deps.js';
import { ApiError } from '../errors.js';
import { ErrorSchema } from '../schemas.js';
import { FileListingSchema, SessionFileDocParamsSchema, SessionFileParamsSchema, SessionIdParamsSchema } from '../session-schemas.js';
import { sessionPath } from '../session-submission.js';

/** A file route in openapi.yaml: /sessions/{id}/files/{path}. */
const asDocumented = ({ schema }: { schema: object }) => ({
  schema: { ...schema, params: SessionFileDocParamsSchema },
  url: '/sessions/:id/files/:path',
});

export const sessionFileRoutes: FastifyPluginAsyncTypebox<AppDependencies> = async (app, deps) => {
  const { config, sessions } = deps;
  const bodyLimit = Math.min(config.bodyLimitBytes, config.sessionFileMaxBytes);
  // In this plugin alone: a body is a file's bytes, never parsed (a .json file stays its bytes).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));

  const fileErrors = { 400: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 413: ErrorSchema, 500: ErrorSchema, 503: ErrorSchema };
  const readSchema = {
    summary: 'Read a file, or list a folder, of a session',
    description: [
      'A file: its bytes (application/octet-stream, x-runbox-type: file), up to SESSION_FILE_MAX_BYTES (413 beyond).',
      'A folder (or no path: the work folder): its entries as JSON (x-runbox-type: folder), name, type (file, folder, symlink, other), size, mtime;',
      'x-runbox-truncated: true when it had more than fit. A symbolic link is never followed: reading one, or a path through one, is a 409.',
    ].join(' '),
    tags: ['sessions'],
    response: {
      200: {
        description: "a file's bytes, or a folder's entries",
        content: {
          'application/json': { schema: FileListingSchema },
          'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
        },
      },
      ...fileErrors,
    },
  };

  async function read(id: string, rawPath: string, principal: Parameters<typeof sessions.ready>[1], reply: FastifyReply) {
    const stored = await sessions.ready(id, principal);
    const path = sessionPath(rawPath, config, { root: true });
    const pieces: Buffer[] = [];
    const result = await sessions.call(
      stored.worker,
      { kind: 'read', sessionId: id, path, budgetBytes: config.sessionFileMaxBytes },
      { onData: (data) => pieces.push(data) },
    );
    if (result.kind === 'file') {
      return reply.type('application/octet-stream').header('x-runbox-type', 'file').send(Buffer.concat(pieces));
    }
    reply.type('application/json').header('x-runbox-type', 'folder');
    if (result.truncated) reply.header('x-runbox-truncated', 'true');
    return reply.send(result.entries);
  }

  app.get(
    '/sessions/:id/files',
    { config: { scope: 'read' }, schema: { ...readSchema, summary: "List a session's work folder", params: SessionIdParamsSchema } },
    async (request, reply) => read(request.params.id, '', request.principal, reply),
  );

  app.get(
    '/sessions/:id/files/*',
    { config: { scope: 'read', swaggerTransform: asDocumented }, schema: { ...readSchema, params: SessionFileParamsSchema } },
    async (request, reply) => read(request.params.id, request.params['*'], request.principal, reply),
  );

  app.put(
    '/sessions/:id/files/*',
    {
      config: { scope: 'runs', swaggerTransform: asDocumented },
      bodyLimit,
      schema: {
        summary: 'Write a file into a session',
        description:
          'The body is the file (any content type, up to SESSION_FILE_MAX_BYTES and BODY_LIMIT_BYTES); folders on the way are made. A folder or a link at the path: 409. No room in the work folder: 413.',
        tags: ['sessions'],
        params: SessionFileParamsSchema,
        response: { 204: { type: 'null', description: 'written' }, ...fileErrors },
      },
    },
    async (request, reply) => {
      const stored = await sessions.ready(request.params.id, request.principal);
      const path = sessionPath(request.params['*'], config, { root: false });
      const data = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      await sessions.call(stored.worker, { kind: 'write', sessionId: stored.record.id, path }, { data });
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/sessions/:id/files/*',
    {
      config: { scope: 'runs', swaggerTransform: asDocumented },
      schema: {
        summary: 'Remove a file, link or folder of a session',
        description: 'A folder goes with what it holds; a link goes itself, never its target.',
        tags: ['sessions'],
        params: SessionFileParamsSchema,
        response: { 204: { type: 'null', description: 'removed' }, ...fileErrors },
      },
    },
    async (request, reply) => {
      const stored = await sessions.ready(request.params.id, request.principal);
      const path = sessionPath(request.params['*'], config, { root: false });
      if (path === '') throw new ApiError('invalid_file_name', 'the work folder itself cannot be removed');
      await sessions.call(stored.worker, { kind: 'remove', sessionId: stored.record.id, path });
      return reply.code(204).send(null);
    },
  );
};
