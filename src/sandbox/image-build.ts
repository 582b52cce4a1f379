// Builds one image on this worker's Docker engine from a Dockerfile and a few files (a custom
// runtime's), within a time limit and a limit on what it may add to its base, with its steps'
// network, memory and CPU fixed by the operator; the build's output goes to the caller line by
// line with each step's progress. A build that fails for any reason (its own error, the time
// or size limit, a stop asked by the caller) leaves nothing: every image and container of the
// build carries its build label, and all of them are removed.
import type Docker from 'dockerode';
import { BUILD_LABEL } from '../domain/custom-runtime.js';
import { statusCodeOf } from './container-lifecycle.js';
import { tarArchive } from './tar-archive.js';

/** The name of the service's Dockerfile in the build context (a build file may not take it). */
export const DOCKERFILE_NAME = '.runbox.Dockerfile';
/** How long the removal of a stopped build goes on looking for what the engine still commits. */
const SETTLE_MS = 15_000;
/** A line of build output is cut here: a step printing one endless line does not grow the worker. */
const LINE_MAX_CHARS = 4096;

export class ImageBuildError extends Error {
  override name = 'ImageBuildError';
}

export interface ImageBuildLimits {
  timeMs: number;
  /** What the build may add to its base image. */
  maxAddedBytes: number;
  memoryMb: number;
  cpus: number;
  /** Docker network of the build's steps (none, or an operator's network). */
  network: string;
}

export interface ImageBuildOptions {
  docker: Docker;
  /** The tag to build. */
  image: string;
  baseImage: string;
  dockerfile: string;
  files: readonly { name: string; content: Buffer }[];
  /** Carried by every image and container of this build as BUILD_LABEL (the Dockerfile's LABEL puts it there). */
  buildId: string;
  limits: ImageBuildLimits;
  onLine?: (line: string) => void;
  onStep?: (step: number, steps: number, instruction: string) => void;
  /** Aborting stops the build (its runtime was deleted, the worker shuts down). */
  signal?: AbortSignal;
}

/** The Docker build options, as a pure function (asserted in a unit test). */
export function buildOptions(o: Pick<ImageBuildOptions, 'image' | 'limits'>) {
  const memory = o.limits.memoryMb * 1024 * 1024;
  return {
    t: o.image,
    dockerfile: DOCKERFILE_NAME,
    networkmode: o.limits.network,
    memory,
    memswap: memory,
    cpuperiod: 100_000,
    cpuquota: Math.round(o.limits.cpus * 100_000),
    rm: true,
    forcerm: true,
  };
}

/** Removes every container and image of one build (children before parents); returns how many it found. */
export async function removeBuild(docker: Docker, buildId: string): Promise<number> {
  const filters = { label: [`${BUILD_LABEL}=${buildId}`] };
  const containers = await docker.listContainers({ all: true, filters });
  const quietly = (removal: Promise<unknown>) => removal.catch(() => undefined);
  await Promise.all(containers.map((c) => quietly(docker.getContainer(c.Id).remove({ force: true, v: true }))));
  const images = (await docker.listImages({ all: true, filters })).sort((a, b) => b.Created - a.Created);
  for (const image of images) await quietly(docker.getImage(image.Id).remove({ force: true, noprune: false }));
  return containers.length + images.length;
}

/**
 * Removes what a stopped build made, again and again until three passes in a row find nothing
 * (at most SETTLE_MS): the engine finishes the step under way after its client has gone, and
 * may commit one more image after a first pass.
 */
async function removeStoppedBuild(docker: Docker, buildId: string): Promise<void> {
  const until = Date.now() + SETTLE_MS;
  let quiet = 0;
  while (quiet < 3 && Date.now() < until) {
    quiet = (await removeBuild(docker, buildId).catch(() => 1)) === 0 ? quiet + 1 : 0;
    if (quiet < 3) await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Builds the image; resolves with its id, or rejects with an ImageBuildError after removing whatever the build made. */
export async function buildImage(o: ImageBuildOptions): Promise<{ id: string; addedBytes: number }> {
  const { docker } = o;
  const base = await docker
    .getImage(o.baseImage)
    .inspect()
    .catch((error) => {
      throw new ImageBuildError(
        statusCodeOf(error) === 404
          ? `the base image ${o.baseImage} is not on this worker (make images)`
          : `cannot read the base image: ${error.message}`,
      );
    });
  const stop = new AbortController();
  let stopReason: string | undefined;
  const abort = (reason: string) => {
    stopReason ??= reason;
    stop.abort();
  };
  const timer = setTimeout(() => abort(`the build took longer than its time limit of ${o.limits.timeMs} ms`), o.limits.timeMs);
  const onSignal = () => abort(typeof o.signal?.reason === 'string' ? o.signal.reason : 'the build was stopped');
  if (o.signal?.aborted) onSignal();
  o.signal?.addEventListener('abort', onSignal, { once: true });

  const addedBy = async (id: string) => ((await docker.getImage(id).inspect()).Size ?? 0) - (base.Size ?? 0);
  const checkSize = async (id: string) => {
    const added = await addedBy(id).catch(() => 0);
    if (added > o.limits.maxAddedBytes)
      abort(`the image grew by ${Math.round(added / 2 ** 20)} MiB, past its limit of ${Math.round(o.limits.maxAddedBytes / 2 ** 20)} MiB`);
    return added;
  };

  try {
    const context = tarArchive([{ name: DOCKERFILE_NAME, content: Buffer.from(o.dockerfile) }, ...o.files]);
    let failure: string | undefined;
    let builtId: string | undefined;
    const checks: Promise<unknown>[] = [];
    const onLine = (raw: string) => {
      // Terminal colours and other escapes are not text a person reads in a log.
      // eslint-disable-next-line no-control-regex
      const plain = raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
      const line = plain.length > LINE_MAX_CHARS ? `${plain.slice(0, LINE_MAX_CHARS)}...` : plain;
      o.onLine?.(line);
      const step = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
      if (step) o.onStep?.(Number(step[1]), Number(step[2]), step[3].slice(0, 200));
      const layer = /^ ---> ([0-9a-f]{12,64})$/.exec(line);
      if (layer) checks.push(checkSize(layer[1]));
      const built = /^Successfully built ([0-9a-f]{12,64})$/.exec(line);
      if (built) builtId = built[1];
    };
    if (!stop.signal.aborted) {
      const stream = (await docker.buildImage(context as unknown as NodeJS.ReadableStream, {
        ...buildOptions(o),
        abortSignal: stop.signal,
      })) as NodeJS.ReadableStream;
      await new Promise<void>((resolve) => {
        let pending = '';
        let text = '';
        const flushText = (final: boolean) => {
          const lines = text.split('\n');
          text = final ? '' : (lines.pop() ?? '');
          for (const line of lines) onLine(line.replace(/\r$/, ''));
        };
        stream.on('data', (chunk: Buffer) => {
          pending += chunk.toString('utf8');
          let newline: number;
          while ((newline = pending.indexOf('\n')) >= 0) {
            const json = pending.slice(0, newline).trim();
            pending = pending.slice(newline + 1);
            if (!json) continue;
            let message: { stream?: string; error?: string; errorDetail?: { message?: string } };
            try {
              message = JSON.parse(json);
            } catch {
              continue;
            }
            if (message.stream) {
              text += message.stream;
              if (text.length > LINE_MAX_CHARS * 4) text = text.slice(-LINE_MAX_CHARS * 4);
              flushText(false);
            }
            if (message.error) failure ??= message.errorDetail?.message ?? message.error;
          }
          // One JSON message past any sane size is a flood, not a message.
          if (pending.length > 1024 * 1024) pending = '';
        });
        const done = () => {
          flushText(true);
          resolve();
        };
        stream.on('end', done);
        stream.on('close', done);
        stream.on('error', (error: Error) => {
          failure ??= stopReason ?? error.message;
          done();
        });
      });
    }
    await Promise.all(checks);
    if (stopReason) throw new ImageBuildError(stopReason);
    if (failure) throw new ImageBuildError(failure);
    if (!builtId) throw new ImageBuildError('the build ended without an image');
    const addedBytes = await checkSize(o.image);
    if (stopReason) throw new ImageBuildError(stopReason);
    return { id: builtId, addedBytes };
  } catch (error) {
    await removeStoppedBuild(docker, o.buildId);
    if (error instanceof ImageBuildError) throw error;
    throw new ImageBuildError(stopReason ?? `the build could not run: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onSignal);
  }
}
