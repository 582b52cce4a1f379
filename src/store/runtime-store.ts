// Runtimes in Redis: the versions workers read from their images, the states they report for
// built-in images they lack (building, failed), custom runtimes (definition and state, their
// Dockerfile and files apart), and each custom runtime's build log as a stream of frames.
// Every change that must not race (create, a state change of one definition, delete) is one
// Lua script; a state change names the definition's hash, so a build of an older definition
// never writes over a newer one.
import type { Redis } from 'ioredis';
import { pipelineReplies } from './pipeline-replies.js';
import type { CustomRuntime, CustomRuntimeSource } from '../domain/custom-runtime.js';
import type { RuntimeState } from '../domain/runtime-status.js';
import type { Keys } from './keys.js';
import { luaScript } from './lua-script.js';
import { createRuntimeVersionStore } from './runtime-versions.js';
import { entryFields } from './stream-entry.js';

/** The build log keeps at most about this many frames. */
const BUILD_LOG_MAX_FRAMES = 10_000;

// KEYS: custom runtimes, source, build log; ARGV: name, definition (JSON), source (JSON), most custom runtimes.
const CREATE = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 'exists' end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then return 'full' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[3])
redis.call('DEL', KEYS[3])
return 'created'`;

// KEYS: custom runtimes; ARGV: name, hash, patch (JSON; null removes a field).
// Returns the definition after the change, or false when it is gone or is another definition.
const UPDATE = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return false end
local runtime = cjson.decode(raw)
if runtime.hash ~= ARGV[2] then return false end
for k, v in pairs(cjson.decode(ARGV[3])) do
  if v == cjson.null then runtime[k] = nil else runtime[k] = v end
end
local encoded = cjson.encode(runtime)
redis.call('HSET', KEYS[1], ARGV[1], encoded)
return encoded`;

// KEYS: custom runtimes, source, build log, events channel; ARGV: name.
// A reader of the build log hears that it was deleted and the end; the log goes a minute later.
const DELETE = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('XADD', KEYS[3], '*', 't', 'status', 's', 'deleted')
redis.call('XADD', KEYS[3], '*', 't', 'end')
redis.call('EXPIRE', KEYS[3], 60)
redis.call('PUBLISH', KEYS[4], 'deleted ' .. ARGV[1])
return raw`;

const scripts = { create: luaScript(CREATE), update: luaScript(UPDATE), remove: luaScript(DELETE) };

/** cjson writes an empty Lua table as {}: the arrays of a definition are never empty, so this only undoes that for safety. */
function decodeCustom(raw: string): CustomRuntime {
  const runtime = JSON.parse(raw) as CustomRuntime;
  if (runtime.compile && !Array.isArray(runtime.compile)) delete runtime.compile;
  return runtime;
}

export type BuildFrame =
  | { kind: 'log'; data: string }
  | { kind: 'progress'; step: number; steps: number; instruction: string }
  | { kind: 'status'; status: string }
  | { kind: 'end' };

export interface RuntimeSnapshot {
  versions: Record<string, string>;
  states: Record<string, RuntimeState>;
  customs: CustomRuntime[];
}

export interface RuntimeStoreOptions {
  redis: Redis;
  keys: Keys;
  /** A new connection for one blocking read of a build log (readBuildLog); not needed by workers. */
  connect?: () => Redis;
}

export function createRuntimeStore({ redis, keys, connect }: RuntimeStoreOptions) {
  const versionStore = createRuntimeVersionStore({ redis, keys });
  /** Everything the API needs to list runtimes or admit a run, in one round trip. */
  async function snapshot(): Promise<RuntimeSnapshot> {
    const [versions, states, customs] = (await pipelineReplies(
      redis.pipeline().hgetall(keys.runtimeVersions()).hgetall(keys.runtimeStates()).hgetall(keys.customRuntimes()),
    )) as Record<string, string>[];
    return {
      versions,
      states: Object.fromEntries(Object.entries(states).map(([language, raw]) => [language, JSON.parse(raw) as RuntimeState])),
      customs: Object.values(customs)
        .map(decodeCustom)
        .sort((a, b) => a.name.localeCompare(b.name)),
    };
  }

  return {
    snapshot,

    /** Records the versions a worker read from its images (other languages keep theirs). */
    setVersions: versionStore.write,

    async setStates(states: Record<string, RuntimeState>): Promise<void> {
      const fields = Object.entries(states).flatMap(([language, state]) => [language, JSON.stringify(state)]);
      if (fields.length > 0) await redis.hset(keys.runtimeStates(), ...fields);
    },

    async clearStates(languages: readonly string[]): Promise<void> {
      if (languages.length > 0) await redis.hdel(keys.runtimeStates(), ...languages);
    },

    /** Writes a new custom runtime (and clears an old build log of that name), unless one of that name exists or `max` do. */
    async createCustom(runtime: CustomRuntime, source: CustomRuntimeSource, max: number): Promise<'created' | 'exists' | 'full'> {
      return (await scripts.create(
        redis,
        [keys.customRuntimes(), keys.customRuntimeSource(runtime.name), keys.runtimeBuildLog(runtime.name)],
        runtime.name,
        JSON.stringify(runtime),
        JSON.stringify(source),
        max,
      )) as 'created' | 'exists' | 'full';
    },

    async getCustom(name: string): Promise<CustomRuntime | undefined> {
      const raw = await redis.hget(keys.customRuntimes(), name);
      return raw ? decodeCustom(raw) : undefined;
    },

    async getSource(name: string): Promise<CustomRuntimeSource | undefined> {
      const raw = await redis.get(keys.customRuntimeSource(name));
      return raw ? (JSON.parse(raw) as CustomRuntimeSource) : undefined;
    },

    /**
     * Changes fields of the definition whose hash is `hash` (undefined removes a field);
     * undefined when it was deleted or replaced meanwhile.
     */
    async updateCustom(name: string, hash: string, patch: Partial<CustomRuntime>): Promise<CustomRuntime | undefined> {
      const encoded = JSON.stringify(patch, (_key, value: unknown) => (value === undefined ? null : value));
      const raw = (await scripts.update(redis, [keys.customRuntimes()], name, hash, encoded)) as string | null;
      return raw ? decodeCustom(raw) : undefined;
    },

    /** Removes a custom runtime, its source and build log, and tells every worker; undefined when there was none. */
    async deleteCustom(name: string): Promise<CustomRuntime | undefined> {
      const raw = (await scripts.remove(
        redis,
        [keys.customRuntimes(), keys.customRuntimeSource(name), keys.runtimeBuildLog(name), keys.runtimeEvents()],
        name,
      )) as string | null;
      return raw ? decodeCustom(raw) : undefined;
    },

    /** Appends frames to a build log (bounded to about BUILD_LOG_MAX_FRAMES). */
    async appendBuildLog(name: string, frames: readonly Exclude<BuildFrame, { kind: 'end' }>[]): Promise<void> {
      if (frames.length === 0) return;
      const pipeline = redis.pipeline();
      for (const frame of frames) {
        const fields =
          frame.kind === 'log'
            ? ['t', 'log', 'd', frame.data]
            : frame.kind === 'progress'
              ? ['t', 'progress', 's', String(frame.step), 'n', String(frame.steps), 'i', frame.instruction]
              : ['t', 'status', 's', frame.status];
        pipeline.xadd(keys.runtimeBuildLog(name), 'MAXLEN', '~', BUILD_LOG_MAX_FRAMES, '*', ...fields);
      }
      await pipeline.exec();
    },

    /** Whether a build log is still kept (it expires RUN_RETENTION_S after its build). */
    async hasBuildLog(name: string): Promise<boolean> {
      return (await redis.exists(keys.runtimeBuildLog(name))) === 1;
    },

    /** A build log from the start, then live, until its end frame (or `signal`); each read holds a connection of its own. */
    async *readBuildLog(name: string, signal: AbortSignal): AsyncGenerator<BuildFrame> {
      if (!connect) throw new Error('this runtime store reads no build logs (no connect given)');
      const reader = connect();
      // A reader gone: its blocking read ends now, not when XREAD BLOCK next returns.
      const cut = () => reader.disconnect();
      signal.addEventListener('abort', cut, { once: true });
      try {
        yield* readBuildFrames(reader, keys, name, signal);
      } finally {
        signal.removeEventListener('abort', cut);
        reader.disconnect();
      }
    },

    /** Ends a build log: its last status, the end frame, and an expiry. */
    async endBuildLog(name: string, status: string, retentionSeconds: number): Promise<void> {
      const key = keys.runtimeBuildLog(name);
      await redis.pipeline().xadd(key, '*', 't', 'status', 's', status).xadd(key, '*', 't', 'end').expire(key, retentionSeconds).exec();
    },
  };
}
export type RuntimeStore = ReturnType<typeof createRuntimeStore>;

function parseBuildFrame(raw: Buffer[]): BuildFrame | undefined {
  const fields = entryFields(raw);
  const field = (name: string) => fields.get(name)?.toString() ?? '';
  switch (field('t')) {
    case 'log':
      return { kind: 'log', data: field('d') };
    case 'progress':
      return { kind: 'progress', step: Number(field('s')), steps: Number(field('n')), instruction: field('i') };
    case 'status':
      return { kind: 'status', status: field('s') };
    case 'end':
      return { kind: 'end' };
  }
  return undefined;
}

/** Yields a build log's frames from the start, then live, until its end frame (or `signal`). `redis` is held by XREAD BLOCK. */
async function* readBuildFrames(redis: Redis, keys: Keys, name: string, signal: AbortSignal): AsyncGenerator<BuildFrame> {
  let lastId = '0-0';
  while (!signal.aborted) {
    const reply = await redis.xreadBuffer('COUNT', 256, 'BLOCK', 1000, 'STREAMS', keys.runtimeBuildLog(name), lastId);
    if (!reply) continue;
    for (const [, entries] of reply) {
      for (const [id, raw] of entries) {
        lastId = id.toString();
        const frame = parseBuildFrame(raw);
        if (!frame) continue;
        yield frame;
        if (frame.kind === 'end') return;
      }
    }
  }
}
