// Runs written straight into the store, as the API and a worker would write them, with the
// output a test needs: no Docker, no queue.
import type { Config } from '../../src/config/config.js';
import { prepareSubmission } from '../../src/api/run-submission.js';
import type { RunRecord } from '../../src/domain/run-record.js';
import { runtimeCatalogue } from '../../src/domain/runtimes.js';
import type { RunStore } from '../../src/store/run-store.js';

/** Writes a queued run of `owner` (throws when the store refuses it). */
export async function storeQueuedRun(store: RunStore, config: Config, id: string, owner = 'anonymous'): Promise<void> {
  const { record, request } = prepareSubmission({ language: 'bash', source: 'echo hi' }, config, runtimeCatalogue, id, new Date());
  const admission = await store.create(record, request, owner);
  if (!admission.admitted) throw new Error(`run ${id} was not admitted: ${JSON.stringify(admission)}`);
}

/** Writes a run of `owner` and ends it completed with `final` (its stdout, stderr, tests...). */
export async function storeFinishedRun(store: RunStore, config: Config, id: string, final: Partial<RunRecord>, owner = 'anonymous'): Promise<void> {
  await storeQueuedRun(store, config, id, owner);
  await store.markRunning(id, new Date().toISOString());
  const ended = await store.finish(id, { status: 'completed', verdict: 'ok', exitCode: 0, signal: null, timeMs: 1, finishedAt: new Date().toISOString(), ...final }, 0);
  if (!ended) throw new Error(`run ${id} did not finish`);
}
