// Judge0's submissions API (CE 1.13) under /judge0: create (with wait), read (one, a batch,
// a page), delete. Each submission is a run made through the same commands as POST /runs
// (run-commands.ts: admission, limits, queue); what Judge0 asks for beyond a run is kept as
// its Judge0Meta (store/judge0-submissions.ts). Answers use Judge0's fields and units.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyReply } from 'fastify';
import type { RunRecord } from '../../domain/run-record.js';
import { parseJudge0Fields, renderJudge0Submission, type Judge0Field, type Judge0Meta } from '../../domain/judge0/submission.js';
import type { Principal } from '../auth.js';
import { publicError } from '../error-handler.js';
import { ApiError } from '../errors.js';
import type { RouteDependencies } from '../run-commands.js';
import { planJudge0Submission } from './submission-request.js';

/** Judge0's MAX_SUBMISSION_BATCH_SIZE. */
export const JUDGE0_BATCH_MAX = 20;
/** Judge0's page size when per_page is absent. */
const PER_PAGE_DEFAULT = 20;
const PER_PAGE_MAX = 100;

const FieldsQuery = {
  base64_encoded: Type.Optional(
    Type.String({ description: 'true: text fields are base64 (Ruby-style, a line break every 60 characters)' }),
  ),
  fields: Type.Optional(
    Type.String({
      description: 'comma-separated fields, or * for all; default token,time,memory,stdout,stderr,compile_output,message,status',
    }),
  ),
};
const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 64 }) });
const Judge0ErrorSchema = Type.Object({ error: Type.String() }, { additionalProperties: true });
const Judge0SubmissionSchema = Type.Record(Type.String(), Type.Unknown(), { description: 'a Judge0 submission: the requested fields' });
const FieldErrorsSchema = Type.Record(Type.String(), Type.Array(Type.String()), {
  description: "Judge0's validation errors: {field: [messages]}",
});

/** A Judge0 error answer, {error: "..."}, as its controllers write them. */
const judge0Error = (reply: FastifyReply, status: number, error: string) => reply.code(status).send({ error });

export const judge0SubmissionRoutes: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, deps) => {
  const { config, commands, judge0: metas } = deps;
  const newId = deps.newId ?? randomUUID;

  /** The requested fields, or Judge0's 400 naming the ones that are not fields. */
  function fieldsOf(raw: string | undefined, reply: FastifyReply): readonly Judge0Field[] | undefined {
    const parsed = parseJudge0Fields(raw);
    if ('fields' in parsed) return parsed.fields;
    void judge0Error(reply, 400, `invalid fields: [${parsed.invalid.join(', ')}]`);
    return undefined;
  }

  async function renderer(fields: readonly Judge0Field[], base64: boolean) {
    const versions = fields.includes('language') ? await deps.runtimeVersions.read() : {};
    return (record: RunRecord, meta: Judge0Meta | undefined) =>
      renderJudge0Submission(record, meta, { fields, base64, versionOf: (runtime) => versions[runtime] });
  }

  /**
   * One submission: planned (its field errors, Judge0's 422 shape), its meta kept, then run
   * like POST /runs. A refusal of the run itself (no room, a budget) throws ApiError.
   */
  async function create(
    body: unknown,
    base64: boolean,
    principal: Principal,
    requestId: string,
  ): Promise<{ record: RunRecord; meta: Judge0Meta } | { errors: Record<string, string[]> }> {
    const planned = await planJudge0Submission(body, base64, deps);
    if ('errors' in planned) return planned;
    const { plan } = planned;
    const id = newId();
    const now = new Date();
    await metas.save(id, plan.meta, principal.name, now);
    try {
      const record = await commands.submit(plan.body, principal, { id, now, commands: plan.commands, requestId });
      return { record, meta: plan.meta };
    } catch (error) {
      await metas
        .discard(id, plan.meta, principal.name)
        .catch((cause) => deps.log.error({ err: cause, runId: id }, 'could not forget a submission that was not run'));
      if (error instanceof ApiError && error.statusCode < 413) return { errors: fieldErrorsOf(error) };
      throw error;
    }
  }

  app.post(
    '/submissions',
    {
      config: { scope: 'runs' },
      schema: {
        summary: 'Create a submission (Judge0)',
        description:
          'Judge0 CE 1.13: 201 {token}; with ?wait=true 201 and the submission once it has ended (or as it stands after WAIT_MAX_MS). Validation errors: 422 {field: [messages]}. See docs/compat-judge0.md.',
        tags: ['judge0'],
        querystring: Type.Object({
          ...FieldsQuery,
          wait: Type.Optional(Type.String({ description: 'true: answer once the run has ended' })),
        }),
        body: Type.Unknown(),
        response: { 201: Judge0SubmissionSchema, 400: Judge0ErrorSchema, 422: FieldErrorsSchema },
      },
    },
    async (request, reply) => {
      const fields = fieldsOf(request.query.fields, reply);
      if (!fields) return reply;
      const base64 = request.query.base64_encoded === 'true';
      const created = await create(request.body, base64, request.principal, request.id);
      if ('errors' in created) return reply.code(422).send(created.errors);
      if (request.query.wait !== 'true') return reply.code(201).send({ token: created.record.id });
      // A server that starts to close answers with the submission as it stands.
      await deps.ends.waitForEnd(created.record.id, config.waitMaxMs, app.closing);
      const record = (await commands.find(created.record.id, request.principal)) ?? created.record;
      return reply.code(201).send((await renderer(fields, base64))(record, created.meta));
    },
  );

  app.post(
    '/submissions/batch',
    {
      config: { scope: 'runs' },
      schema: {
        summary: 'Create submissions (Judge0)',
        description: `Up to ${JUDGE0_BATCH_MAX}: 201 with [{token} | {field: [messages]}] in order (422 when none was valid). A submission the service refuses (no room) is {error, code}.`,
        tags: ['judge0'],
        querystring: Type.Object({ base64_encoded: FieldsQuery.base64_encoded }),
        body: Type.Unknown(),
      },
    },
    async (request, reply) => {
      const submissions = (request.body as { submissions?: unknown } | null)?.submissions;
      const count = Array.isArray(submissions) ? submissions.length : 0;
      if (count > JUDGE0_BATCH_MAX)
        return judge0Error(reply, 400, `number of submissions in a batch should be less than or equal to ${JUDGE0_BATCH_MAX}`);
      if (count === 0) return judge0Error(reply, 400, 'there should be at least one submission in a batch');
      const base64 = request.query.base64_encoded === 'true';
      const results: unknown[] = [];
      let anyValid = false;
      for (const submission of submissions as unknown[]) {
        try {
          const created = await create(submission, base64, request.principal, request.id);
          if ('errors' in created) results.push(created.errors);
          else {
            anyValid = true;
            results.push({ token: created.record.id });
          }
        } catch (error) {
          const { code, message } = publicError(error as FastifyError, request.log);
          results.push({ error: message, code });
        }
      }
      return reply.code(anyValid ? 201 : 422).send(results);
    },
  );

  app.get(
    '/submissions/batch',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Read submissions (Judge0)',
        description: `?tokens=a,b (or a tokens header), up to ${JUDGE0_BATCH_MAX}: {submissions: [submission | null]} in order. Output past LIST_OUTPUT_BUDGET_BYTES in all comes as null with runbox_output_omitted: true.`,
        tags: ['judge0'],
        querystring: Type.Object({ ...FieldsQuery, tokens: Type.Optional(Type.String()) }),
      },
    },
    async (request, reply) => {
      const fields = fieldsOf(request.query.fields, reply);
      if (!fields) return reply;
      const header = request.headers.tokens;
      const tokens = (typeof header === 'string' ? header : (request.query.tokens ?? ''))
        .trim()
        .split(',')
        .filter((t) => t.length > 0);
      if (tokens.length > JUDGE0_BATCH_MAX)
        return judge0Error(reply, 400, `number of submissions in a batch should be less than or equal to ${JUDGE0_BATCH_MAX}`);
      if (tokens.length === 0) return judge0Error(reply, 400, 'there should be at least one submission in a batch');
      const records = await commands.list(tokens, request.principal);
      const byId = new Map(records.filter((r): r is RunRecord => r !== undefined).map((r) => [r.id, r]));
      const found = tokens.map((token) => byId.get(token));
      const kept = await metas.getMany(found.map((r) => r?.id ?? ''));
      const render = await renderer(fields, request.query.base64_encoded === 'true');
      return {
        submissions: found.map((record, i) => {
          if (!record) return null;
          const rendered = render(record, kept[i]);
          return record.outputOmitted ? { ...rendered, runbox_output_omitted: true } : rendered;
        }),
      };
    },
  );

  app.get(
    '/submissions/:token',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Read a submission (Judge0)',
        tags: ['judge0'],
        params: TokenParams,
        querystring: Type.Object(FieldsQuery),
        response: { 200: Judge0SubmissionSchema, 400: Judge0ErrorSchema },
      },
    },
    async (request, reply) => {
      const fields = fieldsOf(request.query.fields, reply);
      if (!fields) return reply;
      const { token } = request.params;
      const record = await commands.find(token, request.principal);
      if (!record) throw new ApiError('not_found', `no submission ${token}`);
      return (await renderer(fields, request.query.base64_encoded === 'true'))(record, await metas.get(token));
    },
  );

  app.delete(
    '/submissions/:token',
    {
      config: { scope: 'runs' },
      schema: {
        summary: 'Delete a submission (Judge0)',
        description:
          'An ended submission is deleted and answered (base64, as Judge0 does); a queued or running one is cancelled instead (Judge0 answers 400 there) and answered once it has ended.',
        tags: ['judge0'],
        params: TokenParams,
        querystring: Type.Object({ fields: FieldsQuery.fields }),
      },
    },
    async (request, reply) => {
      const fields = fieldsOf(request.query.fields, reply);
      if (!fields) return reply;
      const { token } = request.params;
      const record = await commands.find(token, request.principal);
      if (!record) throw new ApiError('not_found', `no submission ${token}`);
      const meta = await metas.get(token);
      const render = await renderer(fields, true);
      if (record.status === 'queued' || record.status === 'running') {
        const outcome = await commands.cancel(token, request.principal);
        if (outcome === 'cancelling') await deps.ends.waitForEnd(token, 3000);
        const now = (await commands.find(token, request.principal)) ?? record;
        return render(now, meta);
      }
      await commands.remove(token, request.principal);
      await metas.remove(token);
      return render(record, meta);
    },
  );

  app.get(
    '/submissions',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'List submissions (Judge0)',
        description: 'Admin keys: the submissions made through /judge0 that are still kept, newest first, with pagination meta.',
        tags: ['judge0'],
        querystring: Type.Object({ ...FieldsQuery, page: Type.Optional(Type.String()), per_page: Type.Optional(Type.String()) }),
      },
    },
    async (request, reply) => {
      const fields = fieldsOf(request.query.fields, reply);
      if (!fields) return reply;
      const page = request.query.page === undefined ? 1 : Number.parseInt(request.query.page, 10) || 0;
      const perPage = request.query.per_page === undefined ? PER_PAGE_DEFAULT : Number.parseInt(request.query.per_page, 10) || 0;
      if (page <= 0) return judge0Error(reply, 400, `invalid page: ${page}`);
      if (perPage < 0) return judge0Error(reply, 400, `invalid per_page: ${perPage}`);
      const size = Math.min(perPage, PER_PAGE_MAX);
      const { ids, total } = await metas.page((page - 1) * size, size);
      const records = ids.length > 0 ? await commands.list(ids, request.principal) : [];
      const kept = await metas.getMany(ids);
      const render = await renderer(fields, request.query.base64_encoded === 'true');
      const totalPages = size === 0 ? 0 : Math.ceil(total / size);
      return {
        submissions: records.flatMap((record, i) => (record ? [render(record, kept[i])] : [])),
        meta: {
          current_page: page,
          next_page: page < totalPages ? page + 1 : null,
          prev_page: page > 1 ? page - 1 : null,
          total_pages: totalPages,
          total_count: total,
        },
      };
    },
  );
};

/** Which Judge0 field a refusal of prepareSubmission is about, for its 422 answer. */
export function fieldErrorsOf(error: ApiError): Record<string, string[]> {
  const field = ((): string => {
    switch (error.code) {
      case 'unknown_language':
        return 'language_id';
      case 'invalid_file_name':
        return 'additional_files';
      case 'limit_exceeded': {
        const limit = /limits\.(\w+)/.exec(error.message)?.[1];
        const byLimit: Record<string, string> = {
          timeMs: 'wall_time_limit',
          cpuTimeMs: 'cpu_time_limit',
          memoryMb: 'memory_limit',
          pids: 'max_processes_and_or_threads',
          outputBytes: 'max_file_size',
        };
        return (limit && byLimit[limit]) ?? (/expected/.test(error.message) ? 'expected_output' : 'base');
      }
      default:
        if (/webhook/.test(error.message)) return 'callback_url';
        if (/network/.test(error.message)) return 'enable_network';
        if (/stdin/.test(error.message)) return 'stdin';
        if (/args|argument/.test(error.message)) return 'command_line_arguments';
        if (/files?\b/.test(error.message)) return 'additional_files';
        return 'base';
    }
  })();
  return { [field]: [error.message.replaceAll('webhook', 'callback_url')] };
}
