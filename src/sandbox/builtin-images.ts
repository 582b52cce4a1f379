// Builds a built-in runtime's image on this worker's host with scripts/build-images.sh (the
// same script `make images` runs, so both make the same image and skip each other's work),
// at a low CPU priority, its progress lines passed on as they come. Used on a first start
// (IMAGES_BUILD_MISSING) to build in the background what `make up` did not build first.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** scripts/build-images.sh of this checkout (the same path from src/ and from dist/). */
export const BUILD_SCRIPT = fileURLToPath(new URL('../../scripts/build-images.sh', import.meta.url));

/** Lines kept for the error of a failed build. */
const TAIL_LINES = 30;

export class BuiltinBuildError extends Error {
  override name = 'BuiltinBuildError';
}

export interface BuiltinBuildOptions {
  language: string;
  imagePrefix: string;
  /** Each line the script prints, without its "[runbox-setup] " prefix. */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
  script?: string;
}

/** Whether this worker can build built-in images: the script is here (a clone), and with it deploy/runtimes. */
export const canBuildBuiltins = (script = BUILD_SCRIPT) => existsSync(script);

/** Builds one runtime's image; rejects with the end of its output when it fails. */
export function buildBuiltinImage(o: BuiltinBuildOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('nice', ['-n', '10', o.script ?? BUILD_SCRIPT, o.language], {
      env: { ...process.env, RUNTIME_IMAGE_PREFIX: o.imagePrefix },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so stopping it stops docker build and everything it started.
      detached: true,
    });
    const tail: string[] = [];
    let partial = '';
    const onData = (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const raw of lines) {
        const line = raw.replace(/^\[runbox-setup\] /, '');
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        o.onLine?.(line);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const stop = () => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
    };
    if (o.signal?.aborted) stop();
    o.signal?.addEventListener('abort', stop, { once: true });
    child.on('error', (error) => reject(new BuiltinBuildError(`could not start ${o.script ?? BUILD_SCRIPT}: ${error.message}`)));
    child.on('close', (code, signal) => {
      o.signal?.removeEventListener('abort', stop);
      if (code === 0) return resolve();
      const why = o.signal?.aborted ? 'stopped' : signal ? `killed by ${signal}` : `exit ${code}`;
      reject(new BuiltinBuildError(`building the ${o.language} image failed (${why}): ${tail.slice(-12).join('\n')}`));
    });
  });
}
