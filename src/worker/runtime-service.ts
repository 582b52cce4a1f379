// A worker's runtimes: which built-in images its host has (reported as versions, what it lacks
// as failed, or built in the background on a first start with IMAGES_BUILD_MISSING), custom
// runtimes (queued builds, images built on demand, removal when deleted, heard of through
// Redis pub/sub), and a periodic look for images built or left behind since.
import type Docker from 'dockerode';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { limitsFromConfig, type Config } from '../config/config.js';
import { resolveLimits } from '../domain/limits.js';
import { RuntimeStatus } from '../domain/runtime-status.js';
import { runtimeCatalogue } from '../domain/runtimes.js';
import { buildBuiltinImage, canBuildBuiltins } from '../sandbox/builtin-images.js';
import { readRuntimeVersions } from '../sandbox/runtime-versions.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import type { Keys } from '../store/keys.js';
import { createRuntimeStore } from '../store/runtime-store.js';
import { startBuiltinBuilds } from './builtin-image-builds.js';
import { createCustomRuntimes } from './custom-runtimes.js';
import { warmProfiles } from './sandbox-profile.js';

export interface RuntimeServiceOptions {
  config: Config;
  docker: Docker;
  sandbox: Pick<Sandbox, 'open' | 'warm' | 'forgetImages'>;
  /** The worker's durable connection. */
  redis: Redis;
  /** A connection of its own for the runtime events subscription. */
  subscriber: Redis;
  keys: Keys;
  log: Logger;
}

export async function startRuntimeService({ config, docker, sandbox, redis, subscriber, keys, log }: RuntimeServiceOptions) {
  const runtimes = createRuntimeStore({ redis, keys });
  const versionsOf = (languages: readonly string[]) =>
    readRuntimeVersions(
      docker,
      runtimeCatalogue.filter((r) => languages.includes(r.language)),
      config.imagePrefix,
    );
  const warm = (languages: readonly string[]) =>
    sandbox.warm(
      warmProfiles(
        config,
        runtimeCatalogue.filter((r) => languages.includes(r.language)),
      ),
    );

  const versions = await versionsOf(runtimeCatalogue.map((r) => r.language));
  const missing = runtimeCatalogue.filter((r) => !versions[r.language]).map((r) => r.language);
  await runtimes.setVersions(versions);
  // What this worker has is ready, whatever an earlier start said of it.
  await runtimes.clearStates(Object.keys(versions));
  warm(Object.keys(versions));

  // A first start builds what is missing in the background; otherwise a missing image is failed, saying how to build it.
  const buildsMissing = config.imagesBuildMissing && missing.length > 0 && canBuildBuiltins();
  const builtinBuilds = buildsMissing
    ? startBuiltinBuilds({
        languages: missing,
        store: runtimes,
        log,
        build: (language, onLine, signal) => buildBuiltinImage({ language, imagePrefix: config.imagePrefix, onLine, signal }),
        versionOf: async (language) => (await versionsOf([language]))[language],
        onReady: (language) => warm([language]),
      })
    : undefined;
  let builtinBuildsDone = builtinBuilds === undefined;
  void builtinBuilds?.done.then(() => (builtinBuildsDone = true));
  if (missing.length > 0 && !buildsMissing) {
    const why =
      config.imagesBuildMissing && !canBuildBuiltins()
        ? 'IMAGES_BUILD_MISSING is set, but this worker has no scripts/build-images.sh to build it with'
        : 'make images builds it (or IMAGES_BUILD_MISSING=true builds it in the background)';
    log.warn({ missing }, `runtime images are missing on this worker; their runs answer 503 runtime_not_ready (${why})`);
    const error = (language: string) => `the image ${config.imagePrefix}${language}:latest is not built on the worker's host: ${why}`;
    await runtimes.setStates(
      Object.fromEntries(
        missing.map((language) => [language, { status: RuntimeStatus.failed, error: error(language), updatedAt: Date.now() }]),
      ),
    );
  }

  const { defaults, maxima } = limitsFromConfig(config);
  const custom = createCustomRuntimes({
    docker,
    sandbox,
    store: runtimes,
    builtins: runtimeCatalogue,
    imagePrefix: config.imagePrefix,
    sandboxRuntime: config.sandboxRuntime,
    defaultLimits: resolveLimits(undefined, defaults, maxima),
    buildLimits: {
      timeMs: config.runtimeBuildTimeMs,
      maxAddedBytes: config.runtimeBuildMaxMb * 1024 * 1024,
      memoryMb: config.runtimeBuildMemoryMb,
      cpus: 1,
      network: config.runtimeBuildNetwork,
    },
    retentionSeconds: config.retentionSeconds,
    log,
    forgetImages: (gone) => sandbox.forgetImages(gone),
  });
  await custom.sweep().catch((error) => log.warn({ err: error }, 'could not look for stale custom runtime images'));
  // A deleted runtime's images go from every host: each worker hears of it here.
  subscriber.on('message', (_channel: string, message: string) => {
    const deleted = /^deleted (.+)$/.exec(message);
    if (deleted) custom.onDeleted(deleted[1]);
  });
  await subscriber.subscribe(keys.runtimeEvents());

  // Images built since (make images) are noticed without a restart; images left behind go.
  const recheck = setInterval(() => {
    void custom.sweep().catch((error) => log.warn({ err: error }, 'could not look for stale custom runtime images'));
    if (!builtinBuildsDone) return;
    void versionsOf(runtimeCatalogue.map((r) => r.language))
      .then(async (found) => {
        await runtimes.setVersions(found);
        await runtimes.clearStates(Object.keys(found));
      })
      .catch((error) => log.warn({ err: error }, 'could not read the runtime images'));
  }, config.reaperIntervalMs);
  recheck.unref();

  return {
    custom,
    /** Stops the builds under way (a custom one ends failed, saying so) and the periodic look; unsubscribes. */
    async stop(): Promise<void> {
      clearInterval(recheck);
      custom.stopAll();
      await builtinBuilds?.stop();
      subscriber.disconnect();
    },
  };
}
