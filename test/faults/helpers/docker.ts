// What the Docker engine saw, to check claims that the records alone cannot prove: how
// many sandboxes were given to a run (a program that ran twice had two), and which of
// a run's containers still exist. A sandbox's name says whose it is (sandbox-names.ts).
import Docker from 'dockerode';
import { SANDBOX_LABEL } from '../../../src/sandbox/container-spec.js';
import { parseSandboxName, POOL_OWNER } from '../../../src/sandbox/sandbox-names.js';

export const docker = new Docker();

/** Every runbox sandbox on the engine (running or not), with the owner and creation time its name and listing give. */
async function sandboxes(): Promise<{ id: string; owner: string | undefined; state: string; createdMs: number }[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${SANDBOX_LABEL}=true`] } });
  return list.map((c) => ({ id: c.Id, owner: parseSandboxName(c.Names[0] ?? '')?.owner, state: c.State, createdMs: c.Created * 1000 }));
}

/** Containers (running or not) of the given runs. */
export async function containersOf(runIds: Iterable<string>): Promise<{ id: string; runId: string; state: string }[]> {
  const wanted = new Set(runIds);
  return (await sandboxes()).flatMap(({ id, owner, state }) => (owner && wanted.has(owner) ? [{ id, runId: owner, state }] : []));
}

/** Sandboxes still waiting in a warm pool (never taken by a run) that were created between these times (ms). */
export async function pooledCreatedBetween(fromMs: number, toMs: number): Promise<{ id: string; state: string }[]> {
  return (await sandboxes()).flatMap(({ id, owner, state, createdMs }) =>
    owner === POOL_OWNER && createdMs >= fromMs - 1000 && createdMs <= toMs ? [{ id, state }] : [],
  );
}

/** Removes whatever containers of these runs are left (test cleanup). */
export async function removeContainersOf(runIds: Iterable<string>): Promise<void> {
  for (const c of await containersOf(runIds).catch(() => [])) {
    await docker
      .getContainer(c.id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  }
}

export interface SandboxStartWatch {
  /** Sandboxes given to each run since the watch began. */
  counts(): Map<string, number>;
  /** Waits a moment for the engine's last events, then stops watching. */
  stop(): Promise<Map<string, number>>;
}

/**
 * Counts the sandboxes given to each run, live from the engine's event stream: one created
 * for it (cold) or a waiting one renamed to it (from the warm pool). A program that ran
 * twice had two, even after both were removed. (Live, because the engine keeps only its
 * last few hundred events, which a busy host overwrites quickly.)
 */
export async function watchSandboxStarts(): Promise<SandboxStartWatch> {
  const counts = new Map<string, number>();
  const stream = (await docker.getEvents({
    filters: { type: ['container'], event: ['create', 'rename'], label: [`${SANDBOX_LABEL}=true`] },
  })) as NodeJS.ReadableStream & { destroy(): void };
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      const runId = parseSandboxName(
        (JSON.parse(line) as { Actor?: { Attributes?: Record<string, string> } }).Actor?.Attributes?.name ?? '',
      )?.owner;
      if (runId && runId !== 'pool') counts.set(runId, (counts.get(runId) ?? 0) + 1);
    }
  });
  stream.on('error', () => undefined);
  return {
    counts: () => counts,
    async stop() {
      await new Promise((r) => setTimeout(r, 1000));
      stream.destroy();
      return counts;
    },
  };
}
