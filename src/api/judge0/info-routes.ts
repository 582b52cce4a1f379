// Judge0's information routes under /judge0: languages (Judge0 ids, runbox's versions),
// statuses, about, version, config_info (every key Judge0 returns, with runbox's values in
// Judge0's units), workers, and the authenticate/authorize checks.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Config } from '../../config/config.js';
import {
  commandLine,
  judge0LanguageById,
  judge0LanguageName,
  judge0Languages,
  type Judge0Language,
} from '../../domain/judge0/languages.js';
import { judge0Statuses } from '../../domain/judge0/statuses.js';
import { findRuntime } from '../../domain/runtimes.js';
import { runQueueName } from '../../queue/run-queue.js';
import type { AppDependencies } from '../deps.js';
import { ApiError } from '../errors.js';
import { JUDGE0_BATCH_MAX } from './submission-routes.js';

/** The Judge0 version the facade speaks: clients that check /about or /version see one they know. */
export const JUDGE0_VERSION = '1.13.1';

/** Judge0's /config_info keys with runbox's values, in Judge0's units (seconds, kilobytes). */
export function judge0ConfigInfo(config: Config) {
  return {
    maintenance_mode: false,
    enable_wait_result: true,
    enable_compiler_options: true,
    allowed_languages_for_compile_options: [],
    enable_command_line_arguments: true,
    enable_submission_delete: true,
    enable_callbacks: config.webhookSecret !== '',
    callbacks_max_tries: config.webhookAttempts,
    callbacks_timeout: config.webhookTimeoutMs / 1000,
    enable_additional_files: true,
    max_queue_size: config.queueMaxWaiting,
    cpu_time_limit: config.runCpuTimeMs / 1000,
    max_cpu_time_limit: config.runCpuTimeMaxMs / 1000,
    cpu_extra_time: 0,
    max_cpu_extra_time: 5,
    wall_time_limit: config.runTimeMs / 1000,
    max_wall_time_limit: config.runTimeMaxMs / 1000,
    memory_limit: config.runMemoryMb * 1024,
    max_memory_limit: config.runMemoryMaxMb * 1024,
    stack_limit: 8192,
    max_stack_limit: config.runMemoryMaxMb * 1024,
    max_processes_and_or_threads: config.runPids,
    max_max_processes_and_or_threads: config.runPidsMax,
    enable_per_process_and_thread_time_limit: false,
    allow_enable_per_process_and_thread_time_limit: false,
    enable_per_process_and_thread_memory_limit: false,
    allow_enable_per_process_and_thread_memory_limit: false,
    max_file_size: Math.floor(config.runOutputBytes / 1024),
    max_max_file_size: Math.floor(config.runOutputMaxBytes / 1024),
    number_of_runs: 1,
    max_number_of_runs: 20,
    redirect_stderr_to_stdout: false,
    max_extract_size: Math.floor(config.filesMaxBytes / 1024),
    enable_batched_submissions: true,
    max_submission_batch_size: JUDGE0_BATCH_MAX,
    submission_cache_duration: 0,
    use_docs_as_homepage: false,
    allow_enable_network: config.networkAllowed,
    enable_network: false,
    disable_implicit_base64_encoding: true,
  };
}

const LanguageSchema = Type.Object({ id: Type.Integer(), name: Type.String() });

export const judge0InfoRoutes: FastifyPluginAsyncTypebox<AppDependencies> = async (app, deps) => {
  const details = (language: Judge0Language, id: number, versions: Record<string, string>) => {
    const runtime = language.runtime ? findRuntime(deps.catalogue, language.runtime) : undefined;
    return {
      id,
      name: judge0LanguageName(language, language.runtime && versions[language.runtime]),
      is_archived: false,
      source_file: runtime?.fileName ?? null,
      compile_cmd: runtime ? commandLine(runtime.compile, runtime) : null,
      run_cmd: runtime ? commandLine(runtime.run, runtime) : null,
    };
  };
  /** Languages whose runtime this server has (and the multi-file program). */
  const offered = () => judge0Languages.filter((l) => !l.runtime || findRuntime(deps.catalogue, l.runtime));

  app.get(
    '/languages',
    {
      config: { scope: 'read' },
      schema: { summary: 'Languages (Judge0)', tags: ['judge0'], response: { 200: Type.Array(LanguageSchema) } },
    },
    async () => {
      const versions = await deps.runtimeVersions.read();
      return offered().map((l) => ({ id: l.id, name: judge0LanguageName(l, l.runtime && versions[l.runtime]) }));
    },
  );

  app.get(
    '/languages/all',
    { config: { scope: 'read' }, schema: { summary: 'Languages, archived included (Judge0)', tags: ['judge0'] } },
    async () => {
      const versions = await deps.runtimeVersions.read();
      return offered().map((l) => ({ id: l.id, name: judge0LanguageName(l, l.runtime && versions[l.runtime]), is_archived: false }));
    },
  );

  app.get(
    '/languages/:id',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'A language (Judge0)',
        description: 'Any id the facade accepts, the newer hosted ids included.',
        tags: ['judge0'],
        params: Type.Object({ id: Type.Integer() }),
      },
    },
    async (request) => {
      const language = judge0LanguageById(request.params.id);
      if (!language || !offered().includes(language)) throw new ApiError('not_found', `no language ${request.params.id}`);
      return details(language, request.params.id, await deps.runtimeVersions.read());
    },
  );

  app.get(
    '/statuses',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Statuses (Judge0)',
        tags: ['judge0'],
        response: { 200: Type.Array(Type.Object({ id: Type.Integer(), description: Type.String() })) },
      },
    },
    async () => [...judge0Statuses],
  );

  app.get('/about', { config: { scope: 'read' }, schema: { summary: 'About (Judge0)', tags: ['judge0'] } }, async () => ({
    version: JUDGE0_VERSION,
    homepage: 'runbox (Judge0 CE 1.13 compatible API)',
    source_code: null,
    maintainer: null,
  }));

  app.get('/version', { config: { scope: 'read' }, schema: { summary: 'Version (Judge0)', tags: ['judge0'] } }, async (_request, reply) =>
    reply.type('text/plain; charset=utf-8').send(JUDGE0_VERSION),
  );

  app.get('/config_info', { config: { scope: 'read' }, schema: { summary: 'Configuration (Judge0)', tags: ['judge0'] } }, async () =>
    judge0ConfigInfo(deps.config),
  );

  app.get(
    '/workers',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Workers (Judge0)',
        description: 'The run queue: waiting runs, connected workers, runs under way.',
        tags: ['judge0'],
      },
    },
    async () => {
      const counts = await deps.queue.counts();
      const available = (await deps.queue.workerCount?.()) ?? null;
      const working = counts.active ?? 0;
      return [
        {
          queue: runQueueName(deps.config.keyPrefix),
          size: (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0),
          available,
          idle: available === null ? null : Math.max(0, available - working),
          working,
          paused: 0,
          failed: 0,
        },
      ];
    },
  );

  app.post(
    '/authenticate',
    { config: { scope: 'read' }, schema: { summary: 'Check a key (Judge0)', tags: ['judge0'] } },
    async (_request, reply) => reply.code(200).send(),
  );
  app.post(
    '/authorize',
    { config: { scope: 'admin' }, schema: { summary: 'Check an admin key (Judge0)', tags: ['judge0'] } },
    async (_request, reply) => reply.code(200).send(),
  );
};
