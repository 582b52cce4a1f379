// Custom runtimes on a worker: the queued build of a new definition (its log and progress
// written for the API's WebSocket, its status ready or failed), the same build on demand on
// any other worker whose host lacks the image when a run of it comes (every host needs the
// image; each builds it from the stored definition), the checks every image passes, and the
// removal of images whose runtime was deleted or replaced.
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { buildDockerfile, runtimeOfCustom, type CustomRuntime, type CustomRuntimeSource } from '../domain/custom-runtime.js';
import type { Limits } from '../domain/limits.js';
import { findRuntime, imageOf, type Runtime } from '../domain/runtimes.js';
import { hasImage, removeStaleCustomImages } from '../sandbox/custom-images.js';
import { buildImage, removeBuild, type ImageBuildLimits } from '../sandbox/image-build.js';
import type { BuildFrame, RuntimeStore } from '../store/runtime-store.js';
import { checkRuntimeImage } from './runtime-check.js';
import type { SandboxPort } from './sandbox-port.js';

/** Build log text kept per build; past it only progress and status frames are written. */
const LOG_MAX_BYTES = 1024 * 1024;
/** Log frames are written in batches this often. */
const LOG_FLUSH_MS = 200;

export interface CustomRuntimesOptions {
  docker: Docker;
  sandbox: SandboxPort;
  store: RuntimeStore;
  builtins: readonly Runtime[];
  imagePrefix: string;
  sandboxRuntime: string;
  /** The server's default limits, for the image's check. */
  defaultLimits: Limits;
  buildLimits: ImageBuildLimits;
  /** How long a finished build's log is kept. */
  retentionSeconds: number;
  log: Logger;
  /** Stops keeping warm sandboxes of these images (the warm pool's forget). */
  forgetImages?: (gone: (image: string) => boolean) => void;
}

/**
 * After a delete, the sweep is tried this many times, this far apart, while sandboxes of it are
 * removed (an image a running container uses cannot be removed; on a loaded host a run's
 * sandbox may take many seconds to go).
 */
const SWEEP_TRIES = 60;
const SWEEP_RETRY_MS = 1000;

/** Writes a build's log frames in batches, bounded in text. */
function createLogSink(store: RuntimeStore, name: string) {
  let held: Exclude<BuildFrame, { kind: 'end' }>[] = [];
  let bytes = 0;
  let truncated = false;
  let writing: Promise<void> = Promise.resolve();
  const flush = () => {
    const frames = held;
    held = [];
    writing = writing.then(() => store.appendBuildLog(name, frames)).catch(() => undefined);
    return writing;
  };
  const timer = setInterval(() => void flush(), LOG_FLUSH_MS);
  timer.unref();
  return {
    line(data: string) {
      if (truncated) return;
      bytes += Buffer.byteLength(data) + 1;
      if (bytes > LOG_MAX_BYTES) {
        truncated = true;
        held.push({ kind: 'log', data: `runbox: the build log passed ${LOG_MAX_BYTES} bytes; the rest is not kept` });
      } else held.push({ kind: 'log', data });
    },
    frame(frame: Exclude<BuildFrame, { kind: 'end' | 'log' }>) {
      held.push(frame);
    },
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

export function createCustomRuntimes(o: CustomRuntimesOptions) {
  const { docker, store, log } = o;
  const profile = { imagePrefix: o.imagePrefix, defaultRuntime: o.sandboxRuntime };
  /** Builds under way on this host, by image: a second run of the same runtime waits for the first's. */
  const local = new Map<string, Promise<string>>();
  /** The queued builds under way here, by runtime name, to stop one whose runtime is deleted. */
  const queued = new Map<string, AbortController>();

  function runtimeOf(custom: CustomRuntime): Runtime {
    const base = findRuntime(o.builtins, custom.base);
    if (!base) throw new Error(`the base ${custom.base} of custom runtime ${custom.name} is not a runtime of this worker`);
    return runtimeOfCustom(custom, base);
  }

  /**
   * Builds a definition's image on this host and checks it; resolves with the version its
   * probe reports. A build or a check that fails leaves nothing of it.
   */
  async function buildHere(
    custom: CustomRuntime,
    source: CustomRuntimeSource,
    hooks: {
      onLine?: (line: string) => void;
      onStep?: (step: number, steps: number, instruction: string) => void;
      signal?: AbortSignal;
    } = {},
  ): Promise<string> {
    const runtime = runtimeOf(custom);
    const baseImage = imageOf(o.imagePrefix, findRuntime(o.builtins, custom.base)!);
    const buildId = `${custom.name}-${custom.hash}-${randomBytes(4).toString('hex')}`;
    await buildImage({
      docker,
      image: custom.image,
      baseImage,
      dockerfile: buildDockerfile({ baseImage, name: custom.name, hash: custom.hash, buildId, dockerfile: source.dockerfile }),
      files: source.files.map((f) => ({ name: f.name, content: Buffer.from(f.content, 'base64') })),
      buildId,
      limits: o.buildLimits,
      ...hooks,
    });
    try {
      hooks.onLine?.('runbox: checking the image: runbox-run, the sandbox user, the version probe');
      return await checkRuntimeImage({ sandbox: o.sandbox, runtime, profile, limits: o.defaultLimits });
    } catch (error) {
      await removeBuild(docker, buildId);
      throw error;
    }
  }

  /** The queued build of a new definition: log, progress, then ready (with its version) or failed. */
  async function processBuild(name: string, hash: string): Promise<void> {
    const custom = await store.getCustom(name);
    if (!custom || custom.hash !== hash) return; // deleted or replaced before its build began
    const source = await store.getSource(name);
    if (!source) return;
    const stop = new AbortController();
    queued.set(name, stop);
    const sink = createLogSink(store, name);
    const started = Date.now();
    const buildLog = log.child({ runtime: name, hash });
    let status: 'ready' | 'failed' = 'failed';
    try {
      await store.updateCustom(name, hash, { progress: 'building' });
      sink.frame({ kind: 'status', status: 'building' });
      buildLog.info({ base: custom.base }, 'building a custom runtime');
      let lastProgress = 0;
      const version = await buildHere(custom, source, {
        signal: stop.signal,
        onLine: (line) => sink.line(line),
        onStep: (step, steps, instruction) => {
          sink.frame({ kind: 'progress', step, steps, instruction });
          if (Date.now() - lastProgress < 1000) return;
          lastProgress = Date.now();
          void store.updateCustom(name, hash, { progress: `step ${step}/${steps}: ${instruction}` }).catch(() => undefined);
        },
      });
      sink.line(`runbox: the image passed its checks (version ${version}) in ${Math.round((Date.now() - started) / 1000)} s`);
      const updated = await store.updateCustom(name, hash, {
        status: 'ready',
        progress: undefined,
        version: custom.version ?? version,
      });
      if (!updated) {
        // Deleted (or defined again) while it built: its image is not wanted.
        await sweep().catch(() => undefined);
        return;
      }
      status = 'ready';
      buildLog.info({ version, seconds: Math.round((Date.now() - started) / 1000) }, 'custom runtime ready');
    } catch (error) {
      const message = (error as Error).message;
      sink.line(`runbox: the build failed: ${message}`);
      await store.updateCustom(name, hash, { status: 'failed', progress: undefined, error: message.slice(0, 2000) });
      buildLog.warn({ err: error }, 'custom runtime build failed; nothing of it is left');
    } finally {
      queued.delete(name);
      await sink.close();
      // A runtime deleted meanwhile had its log ended by the delete.
      if ((await store.getCustom(name).catch(() => undefined))?.hash === hash)
        await store.endBuildLog(name, status, o.retentionSeconds).catch(() => undefined);
    }
  }

  /** Makes sure this host has a ready custom runtime's image, building it from its definition if not. */
  async function ensureImage(custom: CustomRuntime): Promise<void> {
    if (await hasImage(docker, custom.image)) return;
    let building = local.get(custom.image);
    if (!building) {
      building = (async () => {
        const source = await store.getSource(custom.name);
        if (!source) throw new Error(`custom runtime ${custom.name} was deleted`);
        log.info({ runtime: custom.name, hash: custom.hash }, 'building a custom runtime image this host lacks, for a run');
        return buildHere(custom, source);
      })().finally(() => local.delete(custom.image));
      local.set(custom.image, building);
    }
    try {
      await building;
    } catch (error) {
      throw new Error(`custom runtime ${custom.name} could not be built on this worker: ${(error as Error).message}`, { cause: error });
    }
  }

  /** A run's runtime: a built-in, or a ready custom one with its image on this host (built now if need be). */
  async function resolve(language: string): Promise<Runtime | undefined> {
    const builtin = findRuntime(o.builtins, language);
    if (builtin) return builtin;
    const custom = await store.getCustom(language);
    if (!custom) return undefined;
    if (custom.status !== 'ready') throw new Error(`custom runtime ${language} is ${custom.status}, not ready`);
    await ensureImage(custom);
    return runtimeOf(custom);
  }

  /** Removes the images of runtimes that were deleted or replaced; how many are left (in use by a container). */
  async function sweep(): Promise<number> {
    const current = new Set((await store.snapshot()).customs.map((c) => `${c.name}/${c.hash}`));
    const { removed, left } = await removeStaleCustomImages(docker, (name, hash) => current.has(`${name}/${hash}`));
    if (removed > 0) log.info({ removed, left }, 'removed the images of deleted custom runtimes');
    return left;
  }

  /**
   * A runtime was deleted: its build here stops, no sandbox of it is kept warm, and its images
   * go (tried again for a while as the sandboxes still using them are removed; after that the
   * periodic sweep takes what is left, e.g. an image a run still uses).
   */
  function onDeleted(name: string): void {
    queued.get(name)?.abort('the runtime was deleted');
    o.forgetImages?.((image) => image.startsWith(`${o.imagePrefix}custom-${name}:`));
    void (async () => {
      for (let attempt = 0; attempt < SWEEP_TRIES; attempt++) {
        if ((await sweep()) === 0) return;
        await new Promise((resolve) => setTimeout(resolve, SWEEP_RETRY_MS));
      }
    })().catch((error) => log.warn({ err: error }, 'could not remove the images of a deleted custom runtime'));
  }

  return {
    processBuild,
    resolve,
    sweep,
    onDeleted,
    /** Stops the builds under way (shutdown): each ends failed, leaving nothing. */
    stopAll: () => {
      for (const stop of queued.values()) stop.abort('the worker shut down during the build; define the runtime again');
    },
  };
}
export type CustomRuntimes = ReturnType<typeof createCustomRuntimes>;
