// buildApp(deps): the Fastify instance with every route, no env reads and no listen.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
import Fastify from 'fastify';
import { authPlugin } from './api/auth.js';
import { browserAccessPlugin } from './api/browser-access.js';
import { closingPlugin } from './api/closing.js';
import type { AppDependencies } from './api/deps.js';
import { ApiError } from './api/errors.js';
import { errorHandler, notFoundHandler } from './api/error-handler.js';
import { artifactRoutes } from './api/routes/artifacts.js';
import { healthRoutes } from './api/routes/health.js';
import { judge0Routes } from './api/judge0/judge0-routes.js';
import { pistonRoutes } from './api/piston/piston-routes.js';
import { metricsRoutes } from './api/routes/metrics.js';
import { playgroundRoutes } from './api/routes/playground.js';
import { problemRoutes } from './api/routes/problems.js';
import { runBatchRoutes } from './api/routes/run-batch.js';
import { runStreamRoutes } from './api/routes/run-stream.js';
import { createRunCommands } from './api/run-commands.js';
import { CloseCode } from './api/stream-frames.js';
import { runRoutes } from './api/routes/runs.js';
import { runtimeBuildStreamRoutes } from './api/routes/runtime-build-stream.js';
import { runtimeRoutes } from './api/routes/runtimes.js';
import { sessionExecRoutes } from './api/routes/session-exec.js';
import { sessionFileRoutes } from './api/routes/session-files.js';
import { sessionShellRoutes } from './api/routes/session-shell.js';
import { sessionRoutes } from './api/routes/sessions.js';
import { snapshotRoutes } from './api/routes/snapshots.js';
import { ExecRecordSchema, FileEntrySchema, SessionRecordSchema, SnapshotRecordSchema } from './api/session-schemas.js';
import { ErrorSchema, RunRecordSchema, RuntimeSchema } from './api/schemas.js';
import { ProblemSchema } from './api/problem-schemas.js';
import { openapiDocument } from './api/openapi-document.js';
import { requestIdOptions, requestIdPlugin } from './api/request-id.js';
import { createValidatorCompiler, validationMessage } from './api/validators.js';

export interface BuildAppOptions {
  /** The OpenAPI document and its page at /docs (default on; tests that do not read them leave them out, as they take most of a build). */
  docs?: boolean;
}

export async function buildApp(deps: AppDependencies, { docs = true }: BuildAppOptions = {}) {
  const app = Fastify({
    loggerInstance: deps.log,
    bodyLimit: deps.config.bodyLimitBytes,
    return503OnClosing: false,
    ...requestIdOptions,
    schemaErrorFormatter: (errors, dataVar) => new Error(validationMessage(errors, dataVar)),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(createValidatorCompiler());
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.addSchema(ErrorSchema);
  app.addSchema(RunRecordSchema);
  app.addSchema(RuntimeSchema);
  for (const schema of [SessionRecordSchema, ExecRecordSchema, SnapshotRecordSchema, FileEntrySchema]) app.addSchema(schema);
  app.addSchema(ProblemSchema);

  await app.register(requestIdPlugin);
  if (docs) {
    await app.register(swagger, { openapi: openapiDocument });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  }
  await app.register(websocket, {
    options: { maxPayload: 1024 * 1024 },
    // On shutdown every stream hears 1001 (going away) after the frames already sent; its
    // client resumes on another API process with ?from=N.
    preClose(done) {
      for (const client of this.websocketServer.clients) client.close(CloseCode.goingAway, 'server shutting down');
      this.websocketServer.close(() => done());
    },
  });
  await app.register(closingPlugin);
  await app.register(browserAccessPlugin, { origins: deps.config.corsOrigins, keyed: deps.config.apiKeys.length > 0 });
  await app.register(authPlugin, { keys: deps.config.apiKeys, failures: deps.authFailures });
  if (deps.config.rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      max: deps.config.rateLimitPerMinute,
      timeWindow: 60_000,
      redis: deps.rateLimitRedis,
      nameSpace: `${deps.config.keyPrefix}:ratelimit:`,
      enableDraftSpec: true,
      // Per key; per address where no keys are configured (or before a key is checked).
      keyGenerator: (request) =>
        request.principal && deps.config.apiKeys.length > 0 ? `key:${request.principal.name}` : `ip:${request.ip}`,
      errorResponseBuilder: (_request, context) =>
        new ApiError('rate_limited', `at most ${context.max} requests per minute; retry in ${context.after}`, context.ttl / 1000),
    });
  }

  await app.register(healthRoutes, { readiness: deps.readiness });
  deps.metrics.observe({ queueJobs: () => deps.queue.counts(), websocketClients: () => app.websocketServer.clients.size });
  await app.register(metricsRoutes, { metrics: deps.metrics });
  await app.register(runtimeRoutes, deps);
  const routeDeps = { ...deps, commands: createRunCommands(deps) };
  await app.register(runRoutes, routeDeps);
  await app.register(runBatchRoutes, routeDeps);
  await app.register(runStreamRoutes, routeDeps);
  await app.register(artifactRoutes, routeDeps);
  await app.register(runtimeBuildStreamRoutes, routeDeps);
  await app.register(sessionRoutes, deps);
  await app.register(sessionExecRoutes, deps);
  await app.register(sessionFileRoutes, deps);
  await app.register(sessionShellRoutes, deps);
  await app.register(snapshotRoutes, deps);
  await app.register(problemRoutes, deps);
  if (deps.config.playground) {
    await app.register(playgroundRoutes, {
      assets: deps.playgroundAssets,
      // Read once the app has every route: the terminal tab needs sessions and their shell.
      features: () => ({
        terminal: app.hasRoute({ method: 'POST', url: '/sessions' }) && app.hasRoute({ method: 'GET', url: '/sessions/:id/shell' }),
      }),
    });
  }
  // The facades, each under its own prefix (their routes pass `deps` on to plugins of their own).
  await app.register(async (scope) => scope.register(judge0Routes, routeDeps), { prefix: '/judge0' });
  await app.register(async (scope) => scope.register(pistonRoutes, routeDeps), { prefix: '/piston' });
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
