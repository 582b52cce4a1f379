// POST /sessions/{id}/exec: one command in a session, on the worker that holds it. The answer is
// the exec's record; with ?stream=true, newline-delimited JSON frames as the output comes
// (stdout, stderr, then end with the record), so a long command can be followed with curl -N.
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDependencies } from '../deps.js';
import { errorBody, publicError } from '../error-handler.js';
import { ErrorSchema } from '../schemas.js';
import { ExecQuerySchema, ExecRecordSchema, ExecRequestSchema, SessionIdParamsSchema } from '../session-schemas.js';
import { prepareExec } from '../session-submission.js';

export const sessionExecRoutes: FastifyPluginAsyncTypebox<AppDependencies> = async (app, deps) => {
  const { config, sessions } = deps;
  const newId = deps.newId ?? randomUUID;

  app.post(
    '/sessions/:id/exec',
    {
      config: { scope: 'runs' },
      schema: {
        summary: 'Run a command in a session',
        description: [
          "Runs an argv, or a string under sh -c, in the session's sandbox with its files, its limits and the exec's own time limits;",
          'answers its record (verdict, exit code, times, memory, output). A program killed at a limit leaves the session usable.',
          'One command at a time: 409 while another runs. With ?stream=true the answer is application/x-ndjson:',
          '{"type":"stdout"|"stderr","seq","data"} frames as the output comes, then {"type":"end","exec":{...}}',
          '(or {"type":"error","error":{...}} if the session fails meanwhile).',
        ].join(' '),
        tags: ['sessions'],
        params: SessionIdParamsSchema,
        querystring: ExecQuerySchema,
        body: ExecRequestSchema,
        response: {
          200: ExecRecordSchema,
          400: ErrorSchema,
          404: ErrorSchema,
          409: ErrorSchema,
          413: ErrorSchema,
          500: ErrorSchema,
          503: ErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const stored = await sessions.ready(request.params.id, request.principal);
      const stream = request.query.stream ?? false;
      const command = prepareExec(request.body, stored.record, config, newId(), stream);
      const gone = new AbortController();
      request.raw.once('close', () => gone.abort());
      const call = (onOutput?: (stream: 'stdout' | 'stderr', data: Buffer) => void) =>
        sessions.call(stored.worker, command, { timeoutMs: sessions.execTimeoutMs(command.limits.timeMs), onOutput, signal: gone.signal });
      if (!stream) return call();

      // The answer's status is sent with the first frame: a refusal before any output is an ordinary error.
      const frames = new PassThrough();
      const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
      let seq = 0;
      let started = false;
      const start = () => {
        if (started) return;
        started = true;
        void reply
          .code(200)
          .type('application/x-ndjson')
          .header('cache-control', 'no-store')
          .send(frames as never);
      };
      const write = (frame: object) => {
        start();
        frames.write(JSON.stringify(frame) + '\n');
      };
      try {
        const exec = await call((name, data) => {
          const text = decoders[name].decode(data, { stream: true });
          if (text) write({ type: name, seq: ++seq, data: text });
        });
        write({ type: 'end', exec });
      } catch (error) {
        if (!started) throw error;
        const { code, message } = publicError(error as Parameters<typeof publicError>[0], request.log);
        write({ type: 'error', error: errorBody(code, message) });
      }
      frames.end();
      return reply;
    },
  );
};
