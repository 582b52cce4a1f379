// The data of a run's artifacts in Redis: one hash per run, a field per kept file (its test, if
// any, and its path), written by the worker before the run's final record and expiring with
// it (the run store's finish renews its expiry and counts its bytes in the output ledgers).
// Listing them is the record's `artifacts` field; this holds only the bytes.
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** The hash field of one artifact: the run's own (`-`) or a test's (its index), then the path. */
export const artifactField = (path: string, test?: number) => `${test ?? '-'}/${path}`;

export interface ArtifactStoreOptions {
  redis: Redis;
  keys: Keys;
  /** Until the run's finish sets the final expiry (RUN_RETENTION_S). */
  retentionSeconds: number;
}

export function createArtifactStore({ redis, keys, retentionSeconds }: ArtifactStoreOptions) {
  return {
    /** Adds files to a run's artifacts, kept for the retention until the run's end renews it. */
    async write(runId: string, files: readonly { path: string; test?: number; data: Buffer }[]): Promise<void> {
      if (files.length === 0) return;
      const key = keys.artifacts(runId);
      const fields = files.flatMap((f) => [artifactField(f.path, f.test), f.data]);
      const results = await redis
        .multi()
        .hset(key, ...fields)
        .expire(key, retentionSeconds)
        .exec();
      const failed = results?.find(([error]) => error);
      if (failed) throw failed[0];
    },

    /** One artifact's bytes, or undefined when it is not there (never kept, or expired). */
    async read(runId: string, path: string, test?: number): Promise<Buffer | undefined> {
      return (await redis.hgetBuffer(keys.artifacts(runId), artifactField(path, test))) ?? undefined;
    },

    /** Drops a run's artifacts (its end was not recorded by this worker). */
    async remove(runId: string): Promise<void> {
      await redis.del(keys.artifacts(runId));
    },
  };
}
export type ArtifactStore = ReturnType<typeof createArtifactStore>;
