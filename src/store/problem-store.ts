// Problems in Redis: each problem's record, and its files as one bundle stored once under its
// SHA-256 (two problems with the same files share it). Every change is one Lua script that
// checks the quotas (bytes per uploading key, bytes for all) and moves the bundle, the
// record and the usage counts together. A bundle no problem names any more is kept a while
// (BUNDLE_GRACE_S), for the runs already queued against it, then expires.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Problem } from '../domain/problem.js';
import type { Keys } from './keys.js';
import { luaScript } from './lua-script.js';
import { pipelineReplies } from './pipeline-replies.js';

/** How long a bundle no problem names is kept for the runs queued against it. */
export const BUNDLE_GRACE_S = 3600;
/** An upload not stored by then is dropped. */
const UPLOAD_TTL_S = 600;
/** Bundles cross the wire in pieces of this size, each way. */
export const BUNDLE_CHUNK_BYTES = 1024 * 1024;
const TOTAL_FIELD = '*';

// KEYS: record, upload, new bundle, its refs, new owner's usage, all usage, old bundle, its
// refs, old owner's usage. ARGV: the hash the record had when read, id, bytes, key quota, total
// quota, record JSON, new hash, owner, grace seconds.
// Returns {'retry'} when the record changed meanwhile, {'key', used} or {'total', used} when a
// quota refuses it, {'stored', replaced (0 or 1)} when it is stored.
const PUT = `
local current = redis.call('HGET', KEYS[1], 'hash') or ''
if current ~= ARGV[1] then return {'retry'} end
local id, bytes = ARGV[2], tonumber(ARGV[3])
local old_bytes = tonumber(redis.call('HGET', KEYS[9], id) or '0')
local same_owner = KEYS[9] == KEYS[5]
local key_used = tonumber(redis.call('HGET', KEYS[5], '${TOTAL_FIELD}') or '0')
if same_owner then key_used = key_used - old_bytes end
if tonumber(ARGV[4]) > 0 and key_used + bytes > tonumber(ARGV[4]) then
  redis.call('DEL', KEYS[2])
  return {'key', key_used}
end
local all_used = tonumber(redis.call('HGET', KEYS[6], '${TOTAL_FIELD}') or '0') - tonumber(redis.call('HGET', KEYS[6], id) or '0')
if tonumber(ARGV[5]) > 0 and all_used + bytes > tonumber(ARGV[5]) then
  redis.call('DEL', KEYS[2])
  return {'total', all_used}
end
if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('DEL', KEYS[2]) else redis.call('RENAME', KEYS[2], KEYS[3]) end
redis.call('PERSIST', KEYS[3])
redis.call('SADD', KEYS[4], id)
if current ~= '' and current ~= ARGV[7] then
  redis.call('SREM', KEYS[8], id)
  if redis.call('SCARD', KEYS[8]) == 0 then redis.call('EXPIRE', KEYS[7], ARGV[9]) end
end
if current ~= '' then
  redis.call('HDEL', KEYS[9], id)
  redis.call('HINCRBY', KEYS[9], '${TOTAL_FIELD}', -old_bytes)
end
redis.call('HSET', KEYS[5], id, bytes)
redis.call('HINCRBY', KEYS[5], '${TOTAL_FIELD}', bytes)
redis.call('HINCRBY', KEYS[6], '${TOTAL_FIELD}', bytes - tonumber(redis.call('HGET', KEYS[6], id) or '0'))
redis.call('HSET', KEYS[6], id, bytes)
redis.call('HSET', KEYS[1], 'record', ARGV[6], 'hash', ARGV[7], 'owner', ARGV[8])
if current == '' then return {'stored', 0} end
return {'stored', 1}`;

// KEYS: record, bundle, its refs, owner's usage, all usage. ARGV: the hash read, id, grace seconds.
// Returns 'retry', 'missing' or 'deleted'.
const DELETE = `
local current = redis.call('HGET', KEYS[1], 'hash')
if not current then return 'missing' end
if current ~= ARGV[1] then return 'retry' end
local id = ARGV[2]
redis.call('SREM', KEYS[3], id)
if redis.call('SCARD', KEYS[3]) == 0 then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
for _, usage in ipairs({KEYS[4], KEYS[5]}) do
  local bytes = tonumber(redis.call('HGET', usage, id) or '0')
  redis.call('HDEL', usage, id)
  redis.call('HINCRBY', usage, '${TOTAL_FIELD}', -bytes)
end
redis.call('DEL', KEYS[1])
return 'deleted'`;

const scripts = { put: luaScript(PUT), delete: luaScript(DELETE) };

export interface ProblemStoreOptions {
  redis: Redis;
  keys: Keys;
  /** Bytes of problems one key may store (0: no quota). */
  keyQuotaBytes: number;
  /** Bytes of problems all keys together may store (0: no quota). */
  totalQuotaBytes: number;
}

export type PutOutcome = { stored: true; replaced: boolean } | { stored: false; quota: 'key' | 'total'; usedBytes: number };

/** How many times a change is tried again when the problem changed between reading and writing it. */
const ATTEMPTS = 5;

export function createProblemStore({ redis, keys, keyQuotaBytes, totalQuotaBytes }: ProblemStoreOptions) {
  const current = async (id: string) => {
    const [hash, owner] = await redis.hmget(keys.problem(id), 'hash', 'owner');
    return { hash: hash ?? '', owner: owner ?? '' };
  };

  /** Bytes the key's problems, and all problems, take now (the quotas are checked again when storing). */
  async function usage(owner: string): Promise<{ keyBytes: number; totalBytes: number }> {
    const [mine, all] = await Promise.all([
      redis.hget(keys.problemUsage(owner), TOTAL_FIELD),
      redis.hget(keys.problemUsage(), TOTAL_FIELD),
    ]);
    return { keyBytes: Number(mine ?? 0), totalBytes: Number(all ?? 0) };
  }

  /** Stores `problem` (its record) and `blob` (its bundle, whose hash the record names), replacing any problem of that id. */
  async function put(problem: Problem, blob: Buffer): Promise<PutOutcome> {
    const upload = keys.problemUpload(randomBytes(12).toString('hex'));
    try {
      // In pieces, so that no single command holds Redis for the whole bundle.
      for (let at = 0; at < blob.length; at += BUNDLE_CHUNK_BYTES) {
        await pipelineReplies(
          redis
            .pipeline()
            .append(upload, blob.subarray(at, at + BUNDLE_CHUNK_BYTES))
            .expire(upload, UPLOAD_TTL_S),
        );
      }
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const before = await current(problem.id);
        const oldBlob = before.hash || problem.hash;
        const answer = (await scripts.put(
          redis,
          [
            keys.problem(problem.id),
            upload,
            keys.problemBlob(problem.hash),
            keys.problemBlobRefs(problem.hash),
            keys.problemUsage(problem.owner),
            keys.problemUsage(),
            keys.problemBlob(oldBlob),
            keys.problemBlobRefs(oldBlob),
            keys.problemUsage(before.owner || problem.owner),
          ],
          before.hash,
          problem.id,
          problem.bytes,
          keyQuotaBytes,
          totalQuotaBytes,
          JSON.stringify(problem),
          problem.hash,
          problem.owner,
          BUNDLE_GRACE_S,
        )) as [string, number?];
        if (answer[0] === 'retry') continue;
        if (answer[0] === 'stored') return { stored: true, replaced: answer[1] === 1 };
        return { stored: false, quota: answer[0] as 'key' | 'total', usedBytes: Number(answer[1] ?? 0) };
      }
      throw new Error(`problem ${problem.id} kept changing while it was stored`);
    } finally {
      await redis.del(upload);
    }
  }

  async function get(id: string): Promise<Problem | undefined> {
    const raw = await redis.hget(keys.problem(id), 'record');
    return raw ? (JSON.parse(raw) as Problem) : undefined;
  }

  /** False when there is no such problem. */
  async function remove(id: string): Promise<boolean> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const before = await current(id);
      if (!before.hash) return false;
      const answer = await scripts.delete(
        redis,
        [
          keys.problem(id),
          keys.problemBlob(before.hash),
          keys.problemBlobRefs(before.hash),
          keys.problemUsage(before.owner),
          keys.problemUsage(),
        ],
        before.hash,
        id,
        BUNDLE_GRACE_S,
      );
      if (answer === 'missing') return false;
      if (answer === 'deleted') return true;
    }
    throw new Error(`problem ${id} kept changing while it was deleted`);
  }

  /**
   * Reads a bundle by its hash, piece by piece, handing each to `onChunk`; false when no
   * bundle has that hash (deleted, or replaced and past its grace).
   */
  async function readBlob(hash: string, onChunk: (chunk: Buffer) => void | Promise<void>): Promise<boolean> {
    const key = keys.problemBlob(hash);
    const size = await redis.strlen(key);
    if (size === 0) return false;
    for (let at = 0; at < size; at += BUNDLE_CHUNK_BYTES) {
      const chunk = await redis.getrangeBuffer(key, at, Math.min(at + BUNDLE_CHUNK_BYTES, size) - 1);
      if (chunk.length === 0) return false; // it expired while being read
      await onChunk(chunk);
    }
    return true;
  }

  return { put, get, remove, usage, readBlob };
}

export type ProblemStore = ReturnType<typeof createProblemStore>;
