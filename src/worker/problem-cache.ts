// Problem bundles on a worker's disk, named by their SHA-256: fetched from the store the first
// time a run needs one (a piece at a time, hashed as it comes, kept only when the hash
// matches its name), then read from disk by every later run on this worker. Bounded: past
// `maxBytes`, the bundles used least recently (and by no run now) are removed.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { BUNDLE_HEAD_BYTES, decodeIndex, indexLengthOf, type BundleEntry } from '../lib/problem-bundle.js';

export interface ProblemCacheOptions {
  dir: string;
  maxBytes: number;
  /** Reads a bundle from the store, piece by piece; false when it is not there. */
  readBlob(hash: string, onChunk: (chunk: Buffer) => Promise<void>): Promise<boolean>;
  log: Logger;
  /** Counted: bundles fetched from the store, and runs served from the disk. */
  onFetch?: () => void;
  onHit?: () => void;
}

/** One bundle, open for a run: its files by path. Released when the run is done with it. */
export interface ProblemBundle {
  has(path: string): boolean;
  /** The paths under `folder/`, without it. */
  namesIn(folder: string): string[];
  read(path: string): Promise<Buffer>;
  release(): void;
}

/** The problem's bundle is not in the store any more (deleted, or replaced long enough ago). */
export class ProblemGoneError extends Error {
  override name = 'ProblemGoneError';
}

const HASH = /^[0-9a-f]{64}$/;

interface Cached {
  bytes: number;
  lastUsed: number;
  users: number;
  entries?: Map<string, BundleEntry>;
}

export function createProblemCache(o: ProblemCacheOptions) {
  const cached = new Map<string, Cached>();
  const fetching = new Map<string, Promise<void>>();
  let total = 0;
  let started: Promise<void> | undefined;

  const pathOf = (hash: string) => join(o.dir, hash);

  /** What an earlier process of this worker left: complete bundles are kept, pieces of unfinished fetches removed. */
  async function start(): Promise<void> {
    await mkdir(o.dir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(o.dir)) {
      if (HASH.test(name)) {
        const { size } = await stat(join(o.dir, name));
        cached.set(name, { bytes: size, lastUsed: 0, users: 0 });
        total += size;
      } else if (name.includes('.part-')) {
        await rm(join(o.dir, name), { force: true });
      }
    }
  }

  async function evict(): Promise<void> {
    const idle = [...cached.entries()].filter(([, c]) => c.users === 0).sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    for (const [hash, entry] of idle) {
      if (total <= o.maxBytes) break;
      if (entry.users > 0 || cached.get(hash) !== entry) continue; // taken by a run since
      cached.delete(hash);
      total -= entry.bytes;
      await rm(pathOf(hash), { force: true }).catch((error) => o.log.warn({ err: error, hash }, 'could not remove a cached problem'));
    }
  }

  async function fetch(hash: string): Promise<void> {
    const part = `${pathOf(hash)}.part-${process.pid}-${randomBytes(6).toString('hex')}`;
    const file = await open(part, 'w', 0o600);
    const digest = createHash('sha256');
    let bytes = 0;
    let found: boolean;
    try {
      found = await o.readBlob(hash, async (chunk) => {
        digest.update(chunk);
        bytes += chunk.length;
        await file.write(chunk);
      });
    } finally {
      await file.close();
    }
    if (!found || digest.digest('hex') !== hash) {
      await rm(part, { force: true });
      throw new ProblemGoneError(
        found
          ? `the problem's files changed while they were read (bundle ${hash}); try the run again`
          : `the problem's files (bundle ${hash}) are no longer stored: the problem was deleted or replaced after the run was submitted`,
      );
    }
    await rename(part, pathOf(hash));
    o.onFetch?.();
    cached.set(hash, { bytes, lastUsed: Date.now(), users: 0 });
    total += bytes;
  }

  async function indexOf(hash: string, entry: Cached): Promise<Map<string, BundleEntry>> {
    if (entry.entries) return entry.entries;
    const file = await open(pathOf(hash), 'r');
    try {
      const head = Buffer.alloc(BUNDLE_HEAD_BYTES);
      await file.read(head, 0, head.length, 0);
      const index = Buffer.alloc(indexLengthOf(head));
      await file.read(index, 0, index.length, BUNDLE_HEAD_BYTES);
      entry.entries = new Map(decodeIndex(index, entry.bytes).map((e) => [e.path, e]));
      return entry.entries;
    } finally {
      await file.close();
    }
  }

  /** The bundle `hash`, fetched first if this worker does not have it. Throws ProblemGoneError. */
  async function openBundle(hash: string): Promise<ProblemBundle> {
    if (!HASH.test(hash)) throw new Error(`not a bundle hash: ${hash}`);
    started ??= start();
    await started;
    // A run that finds the bundle here, or being fetched by another run, is a hit; the one that fetches it is not.
    let fetched = false;
    if (!cached.has(hash)) {
      let pending = fetching.get(hash);
      if (!pending) {
        fetched = true;
        pending = fetch(hash).finally(() => fetching.delete(hash));
        fetching.set(hash, pending);
      }
      await pending;
    }
    if (!fetched) o.onHit?.();
    const entry = cached.get(hash)!;
    entry.users++;
    entry.lastUsed = Date.now();
    let entries: Map<string, BundleEntry>;
    try {
      entries = await indexOf(hash, entry);
    } catch (error) {
      entry.users--;
      throw error;
    }
    let released = false;
    return {
      has: (path) => entries.has(path),
      namesIn: (folder) => [...entries.keys()].filter((p) => p.startsWith(`${folder}/`)).map((p) => p.slice(folder.length + 1)),
      async read(path) {
        const found = entries.get(path);
        if (!found) throw new Error(`the problem has no file ${path}`);
        const file = await open(pathOf(hash), 'r');
        try {
          const data = Buffer.alloc(found.length);
          await file.read(data, 0, found.length, found.offset);
          return data;
        } finally {
          await file.close();
        }
      },
      release() {
        if (released) return;
        released = true;
        entry.users--;
        entry.lastUsed = Date.now();
        void evict();
      },
    };
  }

  return {
    open: openBundle,
    get bytes() {
      return total;
    },
  };
}

export type ProblemCache = ReturnType<typeof createProblemCache>;
