// GET /runs/{id}/artifacts (the listing) and GET /runs/{id}/artifacts/{path} (one file's
// bytes), with the rules of GET /runs/{id}: the read scope, and another key's run is a 404.
// A file is served with its content type, never sniffed, and in a sandbox of its own
// (Content-Security-Policy), so an HTML or SVG file a program wrote runs nothing in the API's
// origin; anything that could carry script is a download.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { emptyListing, servedInline, ArtifactListingSchema } from '../../domain/artifacts.js';
import { RunStatus } from '../../domain/run-record.js';
import type { AppDependencies } from '../deps.js';
import { ApiError } from '../errors.js';
import { createRunCommands } from '../run-commands.js';
import { ErrorSchema, RunIdParamsSchema } from '../schemas.js';

const ArtifactParamsSchema = Type.Object({
  id: RunIdParamsSchema.properties.id,
  '*': Type.String({ minLength: 1, maxLength: 4096, description: 'the path in the work folder, as listed' }),
});

/** The same, as the document names it: OpenAPI has no wildcard, so the path is a parameter {path}. */
const ArtifactDocParamsSchema = Type.Object({
  id: ArtifactParamsSchema.properties.id,
  path: Type.String({ description: 'the path in the work folder, as listed (its slashes as they are, or percent-encoded)' }),
});

const ArtifactQuerySchema = Type.Object({
  test: Type.Optional(Type.Integer({ minimum: 0, description: 'judge mode: the test after which it was kept' })),
});

/** A file name for Content-Disposition: the path's last segment, RFC 5987-encoded. */
const dispositionName = (path: string) => encodeURIComponent(path.slice(path.lastIndexOf('/') + 1));

export const artifactRoutes: FastifyPluginAsyncTypebox<AppDependencies> = async (app, deps) => {
  const commands = createRunCommands(deps);

  /** The run's record, if the caller may see it and it has ended (artifacts are kept at its end). */
  const endedRun = async (id: string, principal: Parameters<typeof commands.find>[1]) => {
    const record = await commands.find(id, principal);
    if (!record) throw new ApiError('not_found', `no run ${id}`);
    if (record.status === RunStatus.queued || record.status === RunStatus.running)
      throw new ApiError('conflict', `run ${id} has not ended; its artifacts are kept when it ends`);
    return record;
  };

  app.get(
    '/runs/:id/artifacts',
    {
      config: { scope: 'read' },
      schema: {
        summary: "List a run's artifacts",
        description:
          'The files kept of the work folder (the globs in the request), and those left out with the reason. 409 while the run has not ended.',
        tags: ['runs'],
        params: RunIdParamsSchema,
        response: { 200: ArtifactListingSchema, 404: ErrorSchema, 409: ErrorSchema },
      },
    },
    async (request) => (await endedRun(request.params.id, request.principal)).artifacts ?? emptyListing(),
  );

  app.get(
    '/runs/:id/artifacts/*',
    {
      config: {
        scope: 'read',
        swaggerTransform: ({ schema }) => ({ schema: { ...schema, params: ArtifactDocParamsSchema }, url: '/runs/:id/artifacts/:path' }),
      },
      schema: {
        summary: 'Download one artifact',
        description:
          'The bytes of one kept file, with its content type (by extension). Passive types (text, JSON, images) are served inline, the rest as a download; every answer has X-Content-Type-Options: nosniff and a sandboxing Content-Security-Policy.',
        tags: ['runs'],
        params: ArtifactParamsSchema,
        querystring: ArtifactQuerySchema,
        response: {
          200: Type.Unsafe<Buffer>({
            description: 'the file',
            content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
          }),
          404: ErrorSchema,
          409: ErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const { id, '*': path } = request.params;
      const { test } = request.query;
      const record = await endedRun(id, request.principal);
      const file = record.artifacts?.files.find((f) => f.path === path && f.test === test);
      const missing = () =>
        new ApiError('not_found', `run ${id} kept no artifact ${JSON.stringify(path)}${test === undefined ? '' : ` after test ${test}`}`);
      if (!file) throw missing();
      const data = await deps.artifacts.read(id, path, test);
      if (!data) throw missing();
      return reply
        .header('content-type', file.contentType)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header(
          'content-disposition',
          `${servedInline(file.contentType) ? 'inline' : 'attachment'}; filename*=UTF-8''${dispositionName(path)}`,
        )
        .send(data);
    },
  );
};
