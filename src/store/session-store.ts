// Session records in Redis hashes of plain fields (hash-codec.ts, checked against the schema when read), and the transitions that must be atomic as Lua
// scripts: admission (the key's and everyone's maximum of open sessions), ready, used, ended or
// lost. An open session counts in its key's set and in the set of all, and is listed in its
// worker's set; every way it ends leaves the three in the same step, so a session whose worker
// died frees its place as soon as it is found lost.
import type { Redis } from 'ioredis';
import { newestFirst, SessionRecordSchema, SessionStatus, type SessionEndReason, type SessionRecord } from '../domain/session-record.js';
import { createHashCodec } from './hash-codec.js';
import { readHashes } from './hashes.js';
import type { Keys } from './keys.js';
import { luaScript } from './lua-script.js';

/** Hidden fields: who owns it, which worker holds it, and the sets it counts in. */
const OWNER = 'owner';
const WORKER = 'worker';
const OPEN_SET = 'openset';
const WORKER_SET = 'workerset';

// KEYS: record, the key's open set, everyone's, the worker's; ARGV: now ms, lapse ms (when the
// entries lapse), max per key, max in all, record expiry ms, id, field, value, ...
const CREATE = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 'key' end
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[4]) then return 'total' end
for i = 2, 3 do
  redis.call('ZADD', KEYS[i], ARGV[2], ARGV[6])
  redis.call('PEXPIREAT', KEYS[i], redis.call('ZRANGE', KEYS[i], -1, -1, 'WITHSCORES')[2])
end
redis.call('SADD', KEYS[4], ARGV[6])
redis.call('HSET', KEYS[1], '${OPEN_SET}', KEYS[2], '${WORKER_SET}', KEYS[4], unpack(ARGV, 7))
redis.call('PEXPIREAT', KEYS[1], ARGV[5])
return 'admitted'`;

// KEYS: record, everyone's open set; ARGV: new status, endedAt, reason, error, retention seconds, id.
// Only an open session ends, once: out of the open sets, kept for the retention from now. A lost
// one stays in its worker's set, so the worker that finds that worker lapsed removes its container.
const END = `
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= '${SessionStatus.starting}' and status ~= '${SessionStatus.ready}' then return 0 end
local openset, workerset = unpack(redis.call('HMGET', KEYS[1], '${OPEN_SET}', '${WORKER_SET}'))
if openset then redis.call('ZREM', openset, ARGV[6]) end
if workerset and ARGV[1] ~= '${SessionStatus.lost}' then redis.call('SREM', workerset, ARGV[6]) end
redis.call('ZREM', KEYS[2], ARGV[6])
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'endedAt', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'endReason', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[4]) end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1`;

// KEYS: record; ARGV: the status it must have, field, value, ...
const UPDATE_IF = `
if redis.call('HGET', KEYS[1], 'status') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1`;

const scripts = { create: luaScript(CREATE), end: luaScript(END), updateIf: luaScript(UPDATE_IF) };

export type SessionAdmission = { admitted: true } | { admitted: false; refusal: 'key' | 'total' };

/** A session as stored: its record, who owns it and which worker holds it. */
export interface StoredSession {
  record: SessionRecord;
  owner: string;
  worker: string;
}

const codec = createHashCodec(SessionRecordSchema);

/** A record's fields as HSET arguments (hash-codec.ts: plain values, null left out). */
const encode = (record: Partial<SessionRecord>): string[] => Object.entries(codec.encode(record)).flat();

function decode(fields: Record<string, string>): StoredSession | undefined {
  const record = codec.decode(fields);
  return record && { record, owner: fields[OWNER], worker: fields[WORKER] };
}

export interface SessionStoreOptions {
  redis: Redis;
  keys: Keys;
  /** How long an ended session's record is kept. */
  retentionSeconds: number;
}

/** How long past its lifetime a session's place may be held if nothing ever ends it (every worker gone). */
const LAPSE_GRACE_MS = 60_000;

export function createSessionStore({ redis, keys, retentionSeconds }: SessionStoreOptions) {
  /**
   * Writes a starting session held by `worker`, counted in its key's open sessions and in
   * everyone's, unless the key has `maxPerKey` open or all keys `maxTotal`: then nothing is written.
   */
  async function create(
    record: SessionRecord,
    owner: string,
    worker: string,
    limits: { maxPerKey: number; maxTotal: number },
  ): Promise<SessionAdmission> {
    const lapseAt = Date.parse(record.endsAt) + LAPSE_GRACE_MS;
    const outcome = (await scripts.create(
      redis,
      [keys.session(record.id), keys.openSessions(owner), keys.openSessions(), keys.workerSessions(worker)],
      Date.now(),
      lapseAt,
      limits.maxPerKey,
      limits.maxTotal,
      lapseAt + retentionSeconds * 1000,
      record.id,
      ...encode(record),
      OWNER,
      owner,
      WORKER,
      worker,
    )) as string;
    return outcome === 'admitted' ? { admitted: true } : { admitted: false, refusal: outcome as 'key' | 'total' };
  }

  async function get(id: string): Promise<StoredSession | undefined> {
    return decode(await redis.hgetall(keys.session(id)));
  }

  /** starting -> ready, with the times its worker set; false when it ended meanwhile. */
  async function markReady(id: string, times: Pick<SessionRecord, 'lastUsedAt' | 'expiresAt'>): Promise<boolean> {
    return (
      (await scripts.updateIf(redis, [keys.session(id)], SessionStatus.starting, 'status', SessionStatus.ready, ...encode(times))) === 1
    );
  }

  /** A ready session was used: its idle expiry moves. */
  async function touch(id: string, times: Pick<SessionRecord, 'lastUsedAt' | 'expiresAt'>): Promise<boolean> {
    return (await scripts.updateIf(redis, [keys.session(id)], SessionStatus.ready, ...encode(times))) === 1;
  }

  /** Ends an open session (ended with a reason, or lost); false when it had ended already. */
  async function end(id: string, status: 'ended' | 'lost', reason: SessionEndReason | null, error?: string): Promise<boolean> {
    const done = await scripts.end(
      redis,
      [keys.session(id), keys.openSessions()],
      status,
      new Date().toISOString(),
      reason ?? '',
      error ?? '',
      retentionSeconds,
      id,
    );
    return done === 1;
  }

  /** The open sessions of one key, newest first. */
  async function listOpen(owner: string): Promise<SessionRecord[]> {
    const ids = await redis.zrangebyscore(keys.openSessions(owner), Date.now(), '+inf');
    const hashes = await readHashes(
      redis,
      ids.map((id) => keys.session(id)),
    );
    return hashes.flatMap((fields) => decode(fields)?.record ?? []).sort(newestFirst);
  }

  /** The ids of the sessions a worker holds. */
  async function heldBy(worker: string): Promise<string[]> {
    return redis.smembers(keys.workerSessions(worker));
  }

  /** Records every session of a worker that died as lost; returns how many. */
  async function loseWorker(worker: string, error: string): Promise<number> {
    let lost = 0;
    for (const id of await heldBy(worker)) if (await end(id, 'lost', null, error)) lost++;
    await redis.del(keys.workerSessions(worker));
    return lost;
  }

  return { create, get, markReady, touch, end, listOpen, heldBy, loseWorker };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
