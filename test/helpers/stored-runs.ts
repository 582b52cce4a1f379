// A store on a test Redis, and runs written straight into it as the API and a worker would
// write them, with the output a test needs: no Docker, no queue.
import type { Config } from '../../src/config/config.js';
import { prepareSubmission } from '../../src/api/run-submission.js';
import { queuedRun, type RunRecord } from '../../src/domain/run-record.js';
import type { RunSpec } from '../../src/domain/run-spec.js';
import { runtimeCatalogue } from '../../src/domain/runtimes.js';
import { Redis } from 'ioredis';
import { createKeys } from '../../src/store/keys.js';
import { createRunStore, type Admission, type RunStore, type RunStoreOptions } from '../../src/store/run-store.js';
import { startTestRedis } from './service.js';

const keys = createKeys('runbox');

/** A test Redis of its own (stopped at teardown), a connection to it and a store factory on it. */
export async function startTestStore(t: Parameters<typeof startTestRedis>[0] & {}) {
  const server = await startTestRedis(t);
  const redis = new Redis(server.url);
  t.teardown(() => redis.disconnect());
  const store = (options: Partial<RunStoreOptions> = {}) => createRunStore({ redis, keys, retentionSeconds: 3600, ...options });
  return { server, redis, store };
}

/** What a worker runs for a plain bash run: `echo hi`. */
export const bashSpec: RunSpec = {
  files: [{ name: 'main.sh', content: Buffer.from('echo hi').toString('base64') }],
  stdin: '',
  args: [],
  env: {},
  network: false,
};

/** A queued bash run's whole record, as the API would write it, with `over` on top. */
export function queuedRecord(id: string, over: Partial<RunRecord> = {}): RunRecord {
  const limits = { timeMs: 5000, cpuTimeMs: 5000, memoryMb: 256, cpus: 1, pids: 64, outputBytes: 65536, diskMb: 64 };
  return { ...queuedRun({ id, language: 'bash', createdAt: new Date().toISOString(), limits }), ...over };
}

/** Asks the store to write a queued run of `owner`, as the API does. */
export async function admitRun(store: RunStore, config: Config, id: string, owner = 'anonymous'): Promise<Admission> {
  const { record, request } = prepareSubmission({ language: 'bash', source: 'echo hi' }, config, runtimeCatalogue, id, new Date());
  return store.create(record, request, owner);
}

/** Writes a queued run of `owner` (throws when the store refuses it). */
export async function storeQueuedRun(store: RunStore, config: Config, id: string, owner = 'anonymous'): Promise<void> {
  const admission = await admitRun(store, config, id, owner);
  if (!admission.admitted) throw new Error(`run ${id} was not admitted: ${JSON.stringify(admission)}`);
}

/** Writes a run of `owner` and ends it completed with `final` (its stdout, stderr, tests...). */
export async function storeFinishedRun(
  store: RunStore,
  config: Config,
  id: string,
  final: Partial<RunRecord>,
  owner = 'anonymous',
): Promise<void> {
  await storeQueuedRun(store, config, id, owner);
  await store.markRunning(id, new Date().toISOString());
  const ended = await store.finish(
    id,
    { status: 'completed', verdict: 'ok', exitCode: 0, signal: null, timeMs: 1, finishedAt: new Date().toISOString(), ...final },
    0,
  );
  if (!ended) throw new Error(`run ${id} did not finish`);
}
