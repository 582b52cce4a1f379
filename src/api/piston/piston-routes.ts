// Piston's API v2 under /piston: GET /api/v2/runtimes, POST /api/v2/execute (a run waited
// for, answered with Piston's stage results) and the WebSocket /api/v2/connect. Keys come as
// Bearer or as a bare Authorization header; a body sent without a JSON content type (the npm
// piston-client sends text/plain) is read as JSON on these routes only.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ApiError } from '../errors.js';
import type { RouteDependencies } from '../run-commands.js';
import { pistonConnectRoute } from './piston-connect.js';
import { planPistonJob } from './piston-request.js';
import { pistonNameOf, pistonRuntime } from './piston-runtimes.js';
import { interleavedOutput, pistonResult } from './piston-stages.js';

export const PISTON_KEY_HEADERS = ['authorization'] as const;

const PistonRuntimeSchema = Type.Object({
  language: Type.String(),
  version: Type.String(),
  aliases: Type.Array(Type.String()),
  runtime: Type.Optional(Type.String()),
});
const PistonStageSchema = Type.Object({
  stdout: Type.String(),
  stderr: Type.String(),
  output: Type.String({ description: 'stdout and stderr interleaved in the order written' }),
  code: Type.Union([Type.Integer(), Type.Null()]),
  signal: Type.Union([Type.String(), Type.Null()]),
  message: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union([Type.String(), Type.Null()], {
    description: "isolate's: RE, SG, TO, OL, EL, XX; null when the stage ended normally",
  }),
  memory: Type.Union([Type.Integer(), Type.Null()], { description: 'bytes' }),
  cpu_time: Type.Union([Type.Integer(), Type.Null()], { description: 'milliseconds' }),
  wall_time: Type.Union([Type.Integer(), Type.Null()], { description: 'milliseconds' }),
  verdict: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: "runbox's verdict (an extension)" })),
});
const PistonResultSchema = Type.Object({
  language: Type.String(),
  version: Type.String(),
  run: PistonStageSchema,
  compile: Type.Optional(PistonStageSchema),
});
const PistonErrorSchema = Type.Object(
  { message: Type.String() },
  { additionalProperties: true, description: "Piston's error answer; runbox's error fields too" },
);

export const pistonRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, deps) => {
  const { commands } = deps;
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, keyHeaders: PISTON_KEY_HEADERS };
  });
  // Any body is JSON here, whatever its content type says (or without one).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    try {
      done(null, text.trim() === '' ? undefined : JSON.parse(text));
    } catch {
      done(new ApiError('invalid_request', 'the body is not JSON'), undefined);
    }
  });

  app.get(
    '/api/v2/runtimes',
    {
      config: { scope: 'read' },
      schema: { summary: 'Runtimes (Piston)', tags: ['piston'], response: { 200: Type.Array(PistonRuntimeSchema) } },
    },
    async () => {
      const versions = await deps.runtimeVersions.read();
      return deps.catalogue.map((runtime) => pistonRuntime(runtime, versions[runtime.language]));
    },
  );

  app.post(
    '/api/v2/execute',
    {
      config: { scope: 'runs' },
      schema: {
        summary: 'Execute (Piston)',
        description:
          'Piston v2: runs the files and answers 200 {language, version, run, compile?} once the run has ended; 400 {message} for a request Piston would refuse. A run that has not ended within WAIT_MAX_MS (it waited in the queue) is cancelled and answered 503. See docs/compat-piston.md.',
        tags: ['piston'],
        body: Type.Unknown(),
        response: { 200: PistonResultSchema, 400: PistonErrorSchema },
      },
    },
    async (request, reply) => {
      const versions = await deps.runtimeVersions.read();
      const plan = planPistonJob(request.body, { config: deps.config, catalogue: deps.catalogue, versions, interactive: false });
      const record = await commands.submit(plan.body, request.principal, { requestId: request.id });
      if (!(await deps.ends.waitForEnd(record.id, deps.config.waitMaxMs, app.closing))) {
        // No one would read its result: the run is cancelled, not left to run.
        await commands.cancel(record.id, request.principal);
        throw new ApiError(
          'unavailable',
          app.closing.aborted
            ? 'this server is shutting down; the run was cancelled'
            : `the run did not end within ${deps.config.waitMaxMs} ms (WAIT_MAX_MS); it was cancelled`,
        );
      }
      const ended = await commands.find(record.id, request.principal);
      if (!ended) throw new ApiError('not_found', `run ${record.id} has expired`);
      const output = await interleavedOutput(deps.events, record.id, AbortSignal.timeout(10_000));
      return reply.code(200).send(pistonResult(ended, pistonNameOf(plan.runtime), versions[plan.runtime.language] ?? '0.0.0', output));
    },
  );

  await app.register(pistonConnectRoute, deps);
};
