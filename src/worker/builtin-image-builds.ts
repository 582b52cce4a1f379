// A first start: the built-in runtime images this worker lacks are built in the background,
// one at a time, while it already serves the runtimes it has. Each waits as `building` (its
// place in line, then the build's step) so that a run of it answers 503 runtime_not_ready
// instead of failing; the states are renewed while the builds go on, so a worker that dies
// leaves none holding runs back for long. A built image's version is reported, which makes
// the runtime ready; a failed build is `failed` with the end of its output.
import type { Logger } from 'pino';
import { RuntimeStatus, type RuntimeState } from '../domain/runtime-status.js';
import type { RuntimeStore } from '../store/runtime-store.js';

/** How often the building states are renewed (well within STATE_STALE_MS). */
const HEARTBEAT_MS = 20_000;
/** A build's progress is written at most this often. */
const PROGRESS_EVERY_MS = 1000;

export interface BuiltinBuildsOptions {
  languages: readonly string[];
  store: Pick<RuntimeStore, 'setStates' | 'clearStates' | 'setVersions'>;
  log: Logger;
  /** Builds one language's image (buildBuiltinImage), passing its output lines on. */
  build: (language: string, onLine: (line: string) => void, signal: AbortSignal) => Promise<void>;
  /** The version label of a built image, if it is there. */
  versionOf: (language: string) => Promise<string | undefined>;
  /** Called once a language's image is built and reported. */
  onReady?: (language: string) => void;
}

export function startBuiltinBuilds(o: BuiltinBuildsOptions) {
  const stop = new AbortController();
  const states = new Map<string, RuntimeState>();
  const total = o.languages.length;
  const write = (languages: readonly string[]) =>
    o.store.setStates(
      Object.fromEntries(languages.flatMap((l) => (states.has(l) ? [[l, { ...states.get(l)!, updatedAt: Date.now() }]] : []))),
    );
  const set = (language: string, state: Omit<RuntimeState, 'updatedAt'>) => states.set(language, { ...state, updatedAt: Date.now() });

  o.languages.forEach((language, i) =>
    set(language, { status: RuntimeStatus.building, progress: `waiting: ${i + 1} of ${total} to build` }),
  );
  const heartbeat = setInterval(() => {
    const building = [...states].filter(([, s]) => s.status === RuntimeStatus.building).map(([l]) => l);
    write(building).catch((error) => o.log.warn({ err: error }, 'could not renew the building states'));
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const done = (async () => {
    await write(o.languages);
    o.log.info(
      { languages: o.languages },
      `building ${total} runtime image(s) in the background; their runs answer 503 runtime_not_ready until ready`,
    );
    let built = 0;
    for (const [i, language] of o.languages.entries()) {
      if (stop.signal.aborted) break;
      const started = Date.now();
      let lastWrite = 0;
      set(language, { status: RuntimeStatus.building, progress: `building (${i + 1} of ${total})` });
      await write([language]);
      o.log.info({ language, image: `${i + 1}/${total}` }, `building the ${language} image`);
      try {
        await o.build(
          language,
          (line) => {
            const step = /step (\d+\/\d+ : .*)$/.exec(line);
            if (!step || Date.now() - lastWrite < PROGRESS_EVERY_MS) return;
            lastWrite = Date.now();
            set(language, { status: RuntimeStatus.building, progress: `building (${i + 1} of ${total}): ${line.trim().slice(0, 200)}` });
            write([language]).catch(() => undefined);
          },
          stop.signal,
        );
        const version = await o.versionOf(language);
        if (!version) throw new Error('the build ended but left no image with a version');
        await o.store.setVersions({ [language]: version });
        states.delete(language);
        await o.store.clearStates([language]);
        built++;
        o.log.info(
          { language, version, seconds: Math.round((Date.now() - started) / 1000), done: `${i + 1}/${total}` },
          `the ${language} image is built: ${language} is ready`,
        );
        o.onReady?.(language);
      } catch (error) {
        if (stop.signal.aborted) break;
        const message = (error as Error).message;
        set(language, { status: RuntimeStatus.failed, error: message.slice(0, 2000) });
        await write([language]).catch(() => undefined);
        o.log.error({ language, err: error }, `the ${language} image could not be built; ${language} is failed (make images shows why)`);
      }
    }
    if (!stop.signal.aborted) o.log.info({ built, failed: total - built }, 'background image builds done');
  })()
    .catch((error) => o.log.error({ err: error }, 'background image builds stopped'))
    .finally(() => clearInterval(heartbeat));

  return {
    done,
    /** Stops the build under way; runtimes still waiting are no longer said to be building (unknown again). */
    async stop(): Promise<void> {
      stop.abort();
      await done;
      const waiting = [...states].filter(([, s]) => s.status === RuntimeStatus.building).map(([l]) => l);
      await o.store.clearStates(waiting).catch(() => undefined);
    },
  };
}
