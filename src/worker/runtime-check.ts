// The checks a runtime image must pass before it serves runs, the same for a custom image as
// for a built-in one: a sandbox starts from it and runbox-run answers (the supervisor is
// there and speaks the protocol), the program runs as the sandbox user (uid 1000, named
// runner, home /work), and the version probe prints the image's version.
import type { Limits } from '../domain/limits.js';
import { expandCommand, type Runtime } from '../domain/runtimes.js';
import { decodeOutput } from './output-sink.js';
import type { SandboxPort } from './sandbox-port.js';
import { profileFor, type ProfileOptions } from './sandbox-profile.js';

/** The probe: who the program is, then the version file every runtime image writes. */
export const CHECK_COMMAND = [
  'sh',
  '-c',
  'test "$(id -u)" = 1000 || { echo "runs as uid $(id -u), not 1000" >&2; exit 10; }; ' +
    'test "$(id -un)" = runner || { echo "uid 1000 is not the user runner" >&2; exit 11; }; ' +
    'test "$HOME" = /work && test -d /work || { echo "no work folder /work" >&2; exit 12; }; ' +
    'test -s /etc/runbox-version || { echo "no /etc/runbox-version" >&2; exit 13; }; ' +
    'head -c 100 /etc/runbox-version',
];

export class RuntimeCheckError extends Error {
  override name = 'RuntimeCheckError';
}

export interface RuntimeCheckOptions {
  sandbox: SandboxPort;
  runtime: Runtime;
  profile: ProfileOptions;
  /** The server's default limits (the runtime's own over them). */
  limits: Limits;
}

/** Runs the checks in a real sandbox of the image; resolves with the version it reports. */
export async function checkRuntimeImage(o: RuntimeCheckOptions): Promise<string> {
  const limits: Limits = { ...o.limits, ...o.runtime.limits, timeMs: 10_000, cpuTimeMs: 5_000, outputBytes: 4096 };
  let session;
  try {
    session = await o.sandbox.open(profileFor(o.runtime, limits, o.profile), { owner: `check-${o.runtime.language}`, lifetimeMs: 20_000 });
  } catch (error) {
    throw new RuntimeCheckError(`a sandbox of the image did not start with runbox-run ready: ${(error as Error).message}`);
  }
  try {
    // The command templates must expand (a custom runtime's {entry} and {sources}).
    expandCommand(o.runtime.run, o.runtime.fileName, []);
    const result = await session.execute({ command: CHECK_COMMAND, env: {}, limits });
    const stdout = decodeOutput(result.stdout).trim();
    if (result.exitCode !== 0)
      throw new RuntimeCheckError(
        `the image's check failed (exit ${result.exitCode ?? result.signal}): ${decodeOutput(result.stderr).trim().slice(0, 500)}`,
      );
    if (!stdout) throw new RuntimeCheckError('the version probe printed nothing');
    return stdout.split('\n')[0];
  } finally {
    session.close();
  }
}
