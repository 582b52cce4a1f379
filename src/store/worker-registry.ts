// Which workers are alive, on which Docker engine, with how much room for sessions. Each worker
// beats every WORKER_HEARTBEAT_MS: its hash lapses after three beats missed, and its score in the
// workers' set says when it last beat. The API picks a session's worker here, and any worker
// finds the ones that died, whose sessions are then recorded lost (session-store.ts).
import type { Redis } from 'ioredis';
import { readHashes } from './hashes.js';
import type { Keys } from './keys.js';

export interface WorkerInfo {
  id: string;
  /** The Docker engine's id: workers on one engine share its images (snapshots). */
  engine: string;
  /** Sessions it holds and may hold. */
  sessions: number;
  capacity: number;
}

/** Beats missed before a worker counts as gone. */
export const MISSED_BEATS = 3;
/** How long the workers' set outlives the last beat of any worker. */
const WORKERS_SET_TTL_MS = 60 * 60 * 1000;

export interface WorkerRegistryOptions {
  redis: Redis;
  keys: Keys;
  heartbeatMs: number;
}

export function createWorkerRegistry({ redis, keys, heartbeatMs }: WorkerRegistryOptions) {
  const lapseMs = heartbeatMs * MISSED_BEATS;

  /** A worker says it is alive, and how many sessions it holds. */
  async function beat(worker: WorkerInfo): Promise<void> {
    await redis
      .multi()
      .hset(keys.worker(worker.id), {
        engine: worker.engine,
        sessions: worker.sessions,
        capacity: worker.capacity,
      })
      .pexpire(keys.worker(worker.id), lapseMs)
      .zadd(keys.workers(), Date.now(), worker.id)
      // Renewed by every beat: the set goes an hour after the last worker stopped beating.
      .pexpire(keys.workers(), WORKERS_SET_TTL_MS)
      .exec();
  }

  /** Whether the worker still beats. */
  async function isAlive(id: string): Promise<boolean> {
    return (await redis.exists(keys.worker(id))) === 1;
  }

  /** The workers that beat within the lapse. */
  async function live(): Promise<WorkerInfo[]> {
    const ids = await redis.zrangebyscore(keys.workers(), Date.now() - lapseMs, '+inf');
    const hashes = await readHashes(
      redis,
      ids.map((id) => keys.worker(id)),
    );
    return ids.flatMap((id, i) => {
      const fields = hashes[i];
      if (!fields.engine) return [];
      return [{ id, engine: fields.engine, sessions: Number(fields.sessions), capacity: Number(fields.capacity) }];
    });
  }

  /** Workers that stopped beating (died without leaving): their sessions are to be recorded lost. */
  async function lapsed(): Promise<string[]> {
    return redis.zrangebyscore(keys.workers(), '-inf', `(${Date.now() - lapseMs}`);
  }

  /** A worker leaves (shutdown, or found lapsed): it is no longer listed, and its command stream goes. */
  async function leave(id: string): Promise<void> {
    await redis.multi().zrem(keys.workers(), id).del(keys.worker(id), keys.workerCommands(id)).exec();
  }

  return { beat, isAlive, live, lapsed, leave, lapseMs };
}

export type WorkerRegistry = ReturnType<typeof createWorkerRegistry>;
