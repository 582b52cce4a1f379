// Piston's interactive WebSocket, GET /piston/api/v2/connect: an `init` frame (a job, as
// execute takes it) starts an interactive run; `data` frames are its stdin, `signal` frames
// stop it; the server answers `runtime`, then `stage`, `data` and `exit` frames per stage,
// and closes with 4999 when the job is done. Piston's close codes: 4000 already initialized,
// 4001 no init within a second, 4002 after an `error` frame, 4003 not yet initialized, 4004
// not stdin, 4005 an unknown signal. Where Piston is broken runbox does it right: a signal
// stops the program (Piston's never reached it), `{"type":"eof"}` closes stdin (Piston's
// never closed), and output is capped like any run's (Piston's socket had no cap).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Runtime } from '../../domain/runtimes.js';
import { isSignalName } from '../../domain/signals.js';
import type { InputFrame } from '../../store/run-input.js';
import { ApiError } from '../errors.js';
import { createOpenSockets } from '../open-sockets.js';
import type { RouteDependencies } from '../run-commands.js';
import { send } from '../routes/run-stream.js';
import { CloseCode } from '../stream-frames.js';
import { planPistonJob } from './piston-request.js';
import { pistonNameOf } from './piston-runtimes.js';
import { pistonCompileStage, pistonOutcome } from './piston-stages.js';

export const PistonClose = {
  alreadyInitialized: 4000,
  initializationTimeout: 4001,
  notifiedError: 4002,
  notInitialized: 4003,
  notStdin: 4004,
  invalidSignal: 4005,
  jobCompleted: 4999,
} as const;

/** Piston closes a socket that has not sent init within this long. */
const INIT_TIMEOUT_MS = 1000;

type ClientFrame = { type?: unknown; stream?: unknown; data?: unknown; signal?: unknown } & Record<string, unknown>;

export const pistonConnectRoute: FastifyPluginAsyncTypebox<RouteDependencies> = async (app, deps) => {
  const { commands } = deps;
  const openSockets = createOpenSockets(deps.config.wsMaxPerKey);

  app.route({
    method: 'GET',
    url: '/api/v2/connect',
    config: { scope: 'runs' },
    schema: { hide: true },
    handler: async () => {
      throw new ApiError('invalid_request', 'GET /piston/api/v2/connect is a WebSocket: send Upgrade: websocket');
    },
    wsHandler: (socket, request) => {
      const { principal } = request;
      const { admitted, release } = openSockets.enter(principal.name);
      const closed = new AbortController();
      let state: 'waiting' | 'starting' | 'started' | 'ended' = 'waiting';
      let runId: string | undefined;
      const close = (code: number, reason: string) => {
        release();
        if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(code, reason);
      };
      const frame = (value: object) => send(socket, JSON.stringify(value));
      /** Piston's way to report a failure: an error frame, then 4002. */
      const fail = (message: string) => {
        void frame({ type: 'error', message }).finally(() => close(PistonClose.notifiedError, 'Notified Error'));
      };
      const initTimer = setTimeout(
        () => state === 'waiting' && close(PistonClose.initializationTimeout, 'Initialization Timeout'),
        INIT_TIMEOUT_MS,
      );
      socket.on('close', () => {
        clearTimeout(initTimer);
        closed.abort();
        release();
        // A client gone before its job ended: the program has no one to talk to any more.
        if (runId && state === 'started')
          void commands.cancel(runId, principal).catch((error) => request.log.warn({ err: error, runId }, 'could not cancel'));
      });
      if (!admitted) return close(CloseCode.tooMany, 'too many open sockets for this key');

      const input = async (frame: Exclude<InputFrame, { kind: 'cancel' }>) => {
        const outcome = await deps.input.send(runId!, frame);
        if (outcome === 'limit') fail(`stdin limit reached: at most ${deps.config.stdinMaxBytes} bytes (STDIN_MAX_BYTES)`);
      };

      async function handle(message: ClientFrame): Promise<void> {
        switch (message.type) {
          case 'init': {
            if (state !== 'waiting') return close(PistonClose.alreadyInitialized, 'Already Initialized');
            state = 'starting';
            const versions = await deps.runtimeVersions.read();
            const plan = planPistonJob(message, { config: deps.config, catalogue: deps.catalogue, versions, interactive: true });
            const record = await commands.submit(plan.body, principal, { requestId: request.id });
            runId = record.id;
            state = 'started';
            await frame({ type: 'runtime', language: pistonNameOf(plan.runtime), version: versions[plan.runtime.language] ?? '0.0.0' });
            void relay(plan.runtime, record.id).catch((error) => {
              if (closed.signal.aborted) return;
              request.log.error({ err: error, runId }, 'piston stream failed');
              fail('internal error');
            });
            return;
          }
          case 'data':
            if (state !== 'started') return close(PistonClose.notInitialized, 'Not yet initialized');
            if (message.stream !== 'stdin') return close(PistonClose.notStdin, 'Can only write to stdin');
            if (typeof message.data !== 'string') return fail('data must be a string');
            return input({ kind: 'stdin', data: Buffer.from(message.data, 'utf8') });
          case 'eof':
            if (state !== 'started') return close(PistonClose.notInitialized, 'Not yet initialized');
            return input({ kind: 'eof' });
          case 'signal':
            if (state !== 'started') return close(PistonClose.notInitialized, 'Not yet initialized');
            if (!isSignalName(message.signal)) return close(PistonClose.invalidSignal, 'Invalid signal');
            await commands.cancel(runId!, principal);
            return;
          default:
            return; // Piston ignores other frames
        }
      }

      /** The run's frames as Piston's: stage, data, exit per stage; then 4999. */
      async function relay(runtime: Runtime, id: string): Promise<void> {
        const compiled = runtime.compile !== undefined;
        // The stage under way, changed inside enter(): an object, so the checks below read it afresh.
        const at: { stage: 'none' | 'compile' | 'run' } = { stage: 'none' };
        const enter = async (next: 'compile' | 'run') => {
          if (at.stage === 'compile' && next === 'run') await frame({ type: 'exit', stage: 'compile', code: 0, signal: null });
          at.stage = next;
          await frame({ type: 'stage', stage: next });
        };
        const decoder = new TextDecoder();
        for await (const event of deps.events.read(id, { after: 0, signal: closed.signal })) {
          if (event.kind === 'status' && event.status === 'running' && at.stage === 'none') await enter(compiled ? 'compile' : 'run');
          else if (event.kind === 'output') {
            if (event.phase !== at.stage && (event.phase === 'compile' || event.phase === 'run')) await enter(event.phase);
            await frame({ type: 'data', stream: event.stream, data: decoder.decode(event.data) });
          } else if (event.kind === 'end') {
            state = 'ended';
            const record = await commands.find(id, principal);
            if (!record) return close(PistonClose.notifiedError, 'Notified Error');
            if (record.status === 'failed' && at.stage === 'none') return fail(record.error ?? 'the service could not run the job');
            if (record.compile && at.stage !== 'run') {
              if (at.stage === 'none') await enter('compile');
              const { code, signal, status, message } = pistonCompileStage(record.compile, '');
              await frame({ type: 'exit', stage: 'compile', code, signal, status, message });
              if (record.verdict === 'compilation_error') return close(PistonClose.jobCompleted, 'Job Completed');
              at.stage = 'run';
              await frame({ type: 'stage', stage: 'run' });
            } else if (at.stage === 'none') await enter('run');
            await frame({ type: 'exit', stage: 'run', ...pistonOutcome(record), verdict: record.verdict });
            return close(PistonClose.jobCompleted, 'Job Completed');
          }
        }
      }

      // Frames are handled one at a time, in order; the handler is in place before any await.
      let passing: Promise<void> = Promise.resolve();
      socket.on('message', (raw) => {
        let message: ClientFrame;
        try {
          message = JSON.parse(raw.toString()) as ClientFrame;
        } catch (error) {
          return fail((error as Error).message);
        }
        passing = passing
          .then(() => handle(message ?? {}))
          .catch((error: Error) => {
            if (!(error instanceof ApiError)) request.log.error({ err: error, runId }, 'piston frame failed');
            fail(error instanceof ApiError ? error.message : 'internal error');
          });
      });
    },
  });
};
