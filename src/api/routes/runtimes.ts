// GET /runtimes: the catalogue, with each runtime's version as read from its image by a worker.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { AppDependencies } from '../deps.js';
import { RuntimeSchema } from '../schemas.js';

export const runtimeRoutes: FastifyPluginAsyncTypebox<AppDependencies> = async (app, deps) => {
  app.get(
    '/runtimes',
    {
      config: { scope: 'read' },
      schema: { summary: 'List the languages', tags: ['runtimes'], response: { 200: Type.Array(RuntimeSchema) } },
    },
    async () => {
      const versions = await deps.runtimeVersions.read();
      return deps.catalogue.map((r) => ({
        language: r.language,
        version: versions[r.language] ?? 'unknown',
        aliases: r.aliases,
        compiled: r.compile !== undefined,
        fileName: r.fileName,
      }));
    },
  );
};
