// The WebSocket frames of GET /runtimes/{name}/build, written once: the route builds its frames
// from a build log's entries by these types, and openapi.yaml documents them
// (openapi-document.ts), close codes included. The stream takes no client frames.
import { Type, type Static } from '@sinclair/typebox';
import type { BuildFrame } from '../store/runtime-store.js';

const BuildLogFrameSchema = Type.Object(
  { type: Type.Literal('log'), data: Type.String({ description: "one line of the build's output (terminal escapes removed)" }) },
  { additionalProperties: false, description: 'A line of the build log.' },
);

const BuildProgressFrameSchema = Type.Object(
  {
    type: Type.Literal('progress'),
    step: Type.Integer({ minimum: 1 }),
    steps: Type.Integer({ minimum: 1, description: "the Dockerfile's steps, the service's own included" }),
    instruction: Type.String(),
  },
  { additionalProperties: false, description: 'The build began step `step` of `steps`.' },
);

const BuildStatusFrameSchema = Type.Object(
  { type: Type.Literal('status'), status: Type.Union(['building', 'ready', 'failed', 'deleted'].map((s) => Type.Literal(s))) },
  { additionalProperties: false, description: "The runtime's status changed." },
);

const BuildEndFrameSchema = Type.Object(
  {
    type: Type.Literal('end'),
    runtime: Type.Union([Type.Ref('Runtime'), Type.Null()], { description: 'as GET /runtimes/{name} shows it; null once deleted' }),
  },
  { additionalProperties: false, description: 'The last frame; the server then closes with 1000.' },
);

/** The build stream's frame schemas, by component name. */
export const buildFrameSchemas = {
  BuildLogFrame: BuildLogFrameSchema,
  BuildProgressFrame: BuildProgressFrameSchema,
  BuildStatusFrame: BuildStatusFrameSchema,
  BuildEndFrame: BuildEndFrameSchema,
};

export const buildCloseCodes = {
  normal: { code: 1000, description: 'the build ended (sent after the end frame)' },
  goingAway: { code: 1001, description: 'the API process is shutting down; reconnect to read the log again' },
  internalError: { code: 1011, description: 'internal error of the API' },
  badFrame: { code: 4400, description: 'the client sent a frame (this stream takes none)' },
  notFound: { code: 4404, description: 'no such custom runtime' },
} as const;

type BuildServerFrame = Static<typeof BuildLogFrameSchema> | Static<typeof BuildProgressFrameSchema> | { type: 'status'; status: string };

/** The text of a build log entry's frame (the end frame is the route's: it carries the runtime). */
export function buildServerFrame(frame: Exclude<BuildFrame, { kind: 'end' }>): string {
  const out: BuildServerFrame =
    frame.kind === 'log'
      ? { type: 'log', data: frame.data }
      : frame.kind === 'progress'
        ? { type: 'progress', step: frame.step, steps: frame.steps, instruction: frame.instruction }
        : { type: 'status', status: frame.status };
  return JSON.stringify(out);
}
