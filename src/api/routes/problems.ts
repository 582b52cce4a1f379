// PUT /problems/{id}, GET /problems/{id}, DELETE /problems/{id}: problems (tests, checker,
// interactor, limits, groups) uploaded once as an archive, judged against by reference
// (POST /runs {problem}). Admin keys only; any key with the runs scope may judge against one.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDependencies } from '../deps.js';
import { ApiError } from '../errors.js';
import { buildProblem, readProblemArchive } from '../problem-upload.js';
import { ProblemIdParamsSchema, ProblemSchema } from '../problem-schemas.js';
import { ErrorSchema } from '../schemas.js';

/** Archive content types taken as raw bytes; the archive's first bytes tell zip, tar and tar.gz apart. */
const ARCHIVE_TYPES = ['application/zip', 'application/x-tar', 'application/gzip', 'application/x-gzip', 'application/octet-stream'];
/** Archives read at once by one API process: each holds its archive and its files in memory. */
const UPLOADS_AT_ONCE = 2;

export const problemRoutes: FastifyPluginAsyncTypebox<AppDependencies> = async (app, deps) => {
  const { config } = deps;
  let uploading = 0;
  app.addContentTypeParser(ARCHIVE_TYPES, { parseAs: 'buffer', bodyLimit: config.problemArchiveMaxBytes }, (_request, body, done) =>
    done(null, body),
  );

  const quotaRefusal = (quota: 'key' | 'total', usedBytes: number, bytes: number) =>
    new ApiError(
      'quota_exceeded',
      quota === 'key'
        ? `this key's problems take ${usedBytes} bytes; with this one (${bytes} bytes) they would pass its quota of ${config.problemKeyQuotaBytes} bytes (PROBLEM_KEY_QUOTA_BYTES): delete some first`
        : `problems take ${usedBytes} bytes; with this one (${bytes} bytes) they would pass the server's ${config.problemsQuotaBytes} bytes (PROBLEMS_QUOTA_BYTES)`,
    );

  app.put(
    '/problems/:id',
    {
      config: { scope: 'admin' },
      bodyLimit: config.problemArchiveMaxBytes,
      schema: {
        summary: 'Upload a problem',
        description: [
          'The body is a zip, a tar or a tar.gz (content-type application/zip, application/x-tar, application/gzip or application/octet-stream) of',
          'tests/NAME.in and tests/NAME.ans, optionally checker/ and interactor/ (their files) and problem.json (limits, compare, groups, the',
          "checker's and interactor's language). Replaces a problem of that id: runs already queued keep the files they were submitted with.",
          '201 when it is new, 200 when it replaced one.',
        ].join(' '),
        tags: ['problems'],
        params: ProblemIdParamsSchema,
        consumes: ARCHIVE_TYPES,
        response: { 200: ProblemSchema, 201: ProblemSchema, 400: ErrorSchema, 403: ErrorSchema, 413: ErrorSchema, 429: ErrorSchema },
      },
    },
    async (request, reply) => {
      const archive = request.body;
      if (!Buffer.isBuffer(archive)) throw new ApiError('invalid_request', `send the archive as one of ${ARCHIVE_TYPES.join(', ')}`);
      if (uploading >= UPLOADS_AT_ONCE)
        throw new ApiError('too_many_in_flight', `${UPLOADS_AT_ONCE} problem archives are being read on this server; retry in a moment`);
      uploading++;
      try {
        const owner = request.principal.name;
        const { problem, blob } = buildProblem(
          await readProblemArchive(archive, config),
          request.params.id,
          owner,
          new Date(),
          config,
          deps.catalogue,
        );
        // A refusal before the bundle is written, if it is plain now; the store checks again as it stores.
        const usage = await deps.problems.usage(owner);
        if (config.problemKeyQuotaBytes > 0 && usage.keyBytes + blob.length > config.problemKeyQuotaBytes) {
          const current = await deps.problems.get(problem.id);
          const freed = current?.owner === owner ? current.bytes : 0;
          if (usage.keyBytes - freed + blob.length > config.problemKeyQuotaBytes)
            throw quotaRefusal('key', usage.keyBytes - freed, blob.length);
        }
        const outcome = await deps.problems.put(problem, blob);
        if (!outcome.stored) throw quotaRefusal(outcome.quota, outcome.usedBytes, blob.length);
        request.log.info({ problem: problem.id, hash: problem.hash, bytes: problem.bytes, tests: problem.tests.length }, 'problem stored');
        return reply.code(outcome.replaced ? 200 : 201).send(problem);
      } finally {
        uploading--;
      }
    },
  );

  app.get(
    '/problems/:id',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Read a problem',
        description: 'What the problem holds (test names and sizes, checker, interactor, limits, groups); never the files themselves.',
        tags: ['problems'],
        params: ProblemIdParamsSchema,
        response: { 200: ProblemSchema, 404: ErrorSchema },
      },
    },
    async (request) => {
      const problem = await deps.problems.get(request.params.id);
      if (!problem) throw new ApiError('not_found', `no problem ${request.params.id}`);
      return problem;
    },
  );

  app.delete(
    '/problems/:id',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Delete a problem',
        description: 'Frees its bytes from the quota; runs already queued against it are still judged for an hour.',
        tags: ['problems'],
        params: ProblemIdParamsSchema,
        response: { 204: Type.Null({ description: 'deleted' }), 404: ErrorSchema },
      },
    },
    async (request, reply) => {
      if (!(await deps.problems.remove(request.params.id))) throw new ApiError('not_found', `no problem ${request.params.id}`);
      return reply.code(204).send(null);
    },
  );
};
