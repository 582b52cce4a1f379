// GET /runtimes: every runtime (built-in and custom) with its status and version.
// GET /runtimes/{name}: one. POST /runtimes and DELETE /runtimes/{name} (admin): custom
// runtimes, built by a worker (the API only writes the definition and queues its build).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { AppDependencies } from '../deps.js';
import { ApiError } from '../errors.js';
import { loadRuntimeViews, runtimeEntry } from '../runtime-catalogue.js';
import { prepareDefinition } from '../runtime-definition.js';
import { CustomRuntimeRequestSchema, ErrorSchema, RuntimeNameParamsSchema, RuntimeSchema } from '../schemas.js';

const CreatedSchema = Type.Object({
  name: Type.String(),
  status: Type.Literal('building'),
  build: Type.String({ description: 'the WebSocket path of its build log' }),
});

export const runtimeRoutes: FastifyPluginAsyncTypebox<AppDependencies> = async (app, deps) => {
  app.get(
    '/runtimes',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'List the runtimes',
        description: 'Built-in runtimes in catalogue order, then custom ones; each with its status (ready, building, failed, unknown).',
        tags: ['runtimes'],
        response: { 200: Type.Array(RuntimeSchema) },
      },
    },
    async () => (await loadRuntimeViews(deps)).map(runtimeEntry),
  );

  app.get(
    '/runtimes/:name',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Read one runtime',
        description: 'By id or alias, as GET /runtimes lists it (a custom runtime while it builds, too).',
        tags: ['runtimes'],
        params: RuntimeNameParamsSchema,
        response: { 200: RuntimeSchema, 404: ErrorSchema },
      },
    },
    async (request) => {
      const wanted = request.params.name.toLowerCase();
      const view = (await loadRuntimeViews(deps)).find((v) => v.runtime.language === wanted || v.runtime.aliases.includes(wanted));
      if (!view) throw new ApiError('not_found', `no runtime ${request.params.name}`);
      return runtimeEntry(view);
    },
  );

  app.post(
    '/runtimes',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Define a custom runtime (admin)',
        description: [
          "Builds `dockerfile` on a worker FROM the base runtime's image, checks the image (runbox-run, the sandbox user, a version probe),",
          'then serves it like a built-in runtime. 202 at once with status building; the build log streams on the WebSocket',
          'GET /runtimes/{name}/build; GET /runtimes/{name} says when it is ready or why it failed.',
        ].join(' '),
        tags: ['runtimes'],
        body: CustomRuntimeRequestSchema,
        response: { 202: CreatedSchema, 400: ErrorSchema, 403: ErrorSchema, 409: ErrorSchema, 503: ErrorSchema },
      },
    },
    async (request, reply) => {
      const { runtime, source } = prepareDefinition(request.body, deps.config, deps.catalogue, new Date());
      const outcome = await deps.runtimes.createCustom(runtime, source, deps.config.customRuntimesMax);
      if (outcome === 'exists')
        throw new ApiError('conflict', `a custom runtime ${runtime.name} exists; DELETE /runtimes/${runtime.name} first`);
      if (outcome === 'full')
        throw new ApiError('conflict', `${deps.config.customRuntimesMax} custom runtimes exist (CUSTOM_RUNTIMES_MAX); delete one first`);
      try {
        await deps.runtimeBuilds.enqueue(runtime.name, runtime.hash);
      } catch (error) {
        // No build job, no runtime: a definition left building would never be built.
        await deps.runtimes.deleteCustom(runtime.name).catch(() => undefined);
        throw error;
      }
      request.log.info(
        { runtime: runtime.name, base: runtime.base, hash: runtime.hash, key: request.principal.name },
        'custom runtime defined',
      );
      const build = `/runtimes/${runtime.name}/build`;
      return reply
        .code(202)
        .header('location', `/runtimes/${runtime.name}`)
        .send({ name: runtime.name, status: 'building' as const, build });
    },
  );

  app.delete(
    '/runtimes/:name',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Delete a custom runtime (admin)',
        description:
          'Removes its definition at once (new runs of it are unknown_language) and its images from every worker host; a build under way is stopped. Built-in runtimes cannot be deleted (409).',
        tags: ['runtimes'],
        params: RuntimeNameParamsSchema,
        response: { 204: Type.Null(), 404: ErrorSchema, 409: ErrorSchema },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      if (deps.catalogue.some((r) => r.language === name)) throw new ApiError('conflict', `${name} is a built-in runtime`);
      const deleted = await deps.runtimes.deleteCustom(name);
      if (!deleted) throw new ApiError('not_found', `no custom runtime ${name}`);
      await deps.runtimeBuilds.remove(name, deleted.hash);
      request.log.info({ runtime: name, key: request.principal.name }, 'custom runtime deleted');
      return reply.code(204).send(null);
    },
  );
};
