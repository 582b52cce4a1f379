// What the Docker engine saw, to check claims that the records alone cannot prove: how
// many sandboxes were started for a run (a program that ran twice had two), and which of
// a run's containers still exist.
import Docker from 'dockerode';
import { RUN_ID_LABEL, SANDBOX_LABEL } from '../../../src/sandbox/container-spec.js';

export const docker = new Docker();

/** Containers (running or not) of the given runs. */
export async function containersOf(runIds: Iterable<string>): Promise<{ id: string; runId: string; state: string }[]> {
  const wanted = new Set(runIds);
  const list = await docker.listContainers({ all: true, filters: { label: [`${SANDBOX_LABEL}=true`] } });
  return list.filter((c) => wanted.has(c.Labels[RUN_ID_LABEL])).map((c) => ({ id: c.Id, runId: c.Labels[RUN_ID_LABEL], state: c.State }));
}

/** Removes whatever containers of these runs are left (test cleanup). */
export async function removeContainersOf(runIds: Iterable<string>): Promise<void> {
  for (const c of await containersOf(runIds).catch(() => [])) {
    await docker.getContainer(c.id).remove({ force: true, v: true }).catch(() => undefined);
  }
}

/**
 * How many sandbox containers were started for each run between `since` and now, read
 * from the engine's event log: the engine keeps it even after the container is removed.
 */
export async function sandboxStarts(runIds: Iterable<string>, since: Date): Promise<Map<string, number>> {
  const wanted = new Set(runIds);
  const until = Math.ceil(Date.now() / 1000) + 1;
  // The engine may not have published the last events yet; `until` a second ahead waits for them.
  const stream = (await docker.getEvents({
    since: Math.floor(since.getTime() / 1000) - 1,
    until,
    filters: { type: ['container'], event: ['start'], label: [`${SANDBOX_LABEL}=true`] },
  })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  const counts = new Map<string, number>([...wanted].map((id) => [id, 0]));
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const event = JSON.parse(line) as { Actor?: { Attributes?: Record<string, string> } };
    const runId = event.Actor?.Attributes?.[RUN_ID_LABEL];
    if (runId && wanted.has(runId)) counts.set(runId, (counts.get(runId) ?? 0) + 1);
  }
  return counts;
}
