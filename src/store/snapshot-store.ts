// Snapshot records and each key's snapshot quota (SNAPSHOT_MAX_PER_KEY, SNAPSHOT_KEY_MAX_BYTES).
// A key's snapshots are a ledger of "<id> <bytes>" scored by expiry, with their total beside it
// (the output ledger's Lua functions, output-ledger.ts): a snapshot is admitted and recorded in
// one step, and leaves the ledger when it is deleted or has expired. Records are hashes of plain
// fields (hash-codec.ts) that expire with the snapshot; which Docker engine holds the image is kept too.
import type { Redis } from 'ioredis';
import { newestFirst, SnapshotRecordSchema, type SnapshotRecord } from '../domain/session-record.js';
import { createHashCodec } from './hash-codec.js';
import { readHashes } from './hashes.js';
import type { Keys } from './keys.js';
import { luaScript } from './lua-script.js';
import { LEDGER } from './output-ledger.js';

// KEYS: record, ledger, total; ARGV: now ms, expiry ms, bytes, max count, max bytes, entry, field, value, ...
// Returns the refusal ('count' or 'bytes') and the ms until the oldest snapshot expires, or 'admitted'.
const RESERVE = `
${LEDGER}
local now = tonumber(ARGV[1])
ledger_prune(KEYS[2], KEYS[3], now)
local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')[2]
local wait = oldest and math.max(tonumber(oldest) - now, 1) or 1
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return {'count', wait} end
if tonumber(redis.call('GET', KEYS[3]) or '0') + tonumber(ARGV[3]) > tonumber(ARGV[5]) then return {'bytes', wait} end
ledger_add(KEYS[2], KEYS[3], ARGV[6], ARGV[3], ARGV[2])
redis.call('HSET', KEYS[1], 'entry', ARGV[6], unpack(ARGV, 7))
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return {'admitted'}`;

// KEYS: record, ledger, total. Removes the record and its ledger entry; returns the record's engine, or false.
const DELETE = `
local entry, engine = unpack(redis.call('HMGET', KEYS[1], 'entry', 'engine'))
if not entry then return false end
if redis.call('ZREM', KEYS[2], entry) == 1 then
  local left = redis.call('DECRBY', KEYS[3], tonumber(string.match(entry, ' (%d+)$')))
  if left <= 0 or redis.call('ZCARD', KEYS[2]) == 0 then redis.call('DEL', KEYS[3]) end
end
redis.call('DEL', KEYS[1])
return engine`;

const scripts = { reserve: luaScript(RESERVE), delete: luaScript(DELETE) };

/** A snapshot as stored: its record, who owns it, and where its image is. */
export interface StoredSnapshot {
  record: SnapshotRecord;
  owner: string;
  /** The Docker engine that holds the image, and the image's name there. */
  engine: string;
  image: string;
}

export type SnapshotAdmission = { admitted: true } | { admitted: false; refusal: 'count' | 'bytes'; retryAfterMs: number };

const codec = createHashCodec(SnapshotRecordSchema);

function decode(fields: Record<string, string>): StoredSnapshot | undefined {
  const record = codec.decode(fields);
  return record && { record, owner: fields.owner, engine: fields.engine, image: fields.image };
}

export interface SnapshotStoreOptions {
  redis: Redis;
  keys: Keys;
  quota: { maxCount: number; maxBytes: number };
}

export function createSnapshotStore({ redis, keys, quota }: SnapshotStoreOptions) {
  const ledger = (owner: string) => [keys.snapshots(owner), keys.snapshotBytes(owner)];

  /** Records a snapshot within its owner's quota, or refuses it (nothing written). */
  async function reserve(snapshot: StoredSnapshot): Promise<SnapshotAdmission> {
    const { record, owner } = snapshot;
    const expiry = Date.parse(record.expiresAt);
    const [outcome, waitMs] = (await scripts.reserve(
      redis,
      [keys.snapshot(record.id), ...ledger(owner)],
      Date.now(),
      expiry,
      record.sizeBytes,
      quota.maxCount,
      quota.maxBytes,
      `${record.id} ${record.sizeBytes}`,
      ...Object.entries({ ...codec.encode(record), owner, engine: snapshot.engine, image: snapshot.image }).flat(),
    )) as [string, number?];
    return outcome === 'admitted'
      ? { admitted: true }
      : { admitted: false, refusal: outcome as 'count' | 'bytes', retryAfterMs: waitMs ?? 1 };
  }

  async function get(id: string): Promise<StoredSnapshot | undefined> {
    return decode(await redis.hgetall(keys.snapshot(id)));
  }

  /** A key's snapshots that have not expired, newest first. */
  async function list(owner: string): Promise<SnapshotRecord[]> {
    const entries = await redis.zrangebyscore(keys.snapshots(owner), Date.now(), '+inf');
    const hashes = await readHashes(
      redis,
      entries.map((entry) => keys.snapshot(entry.split(' ')[0])),
    );
    return hashes.flatMap((fields) => decode(fields)?.record ?? []).sort(newestFirst);
  }

  /** Removes a snapshot's record and frees its place in its owner's quota; false when there was none. */
  async function remove(id: string, owner: string): Promise<boolean> {
    return Boolean(await scripts.delete(redis, [keys.snapshot(id), ...ledger(owner)]));
  }

  return { reserve, get, list, remove };
}

export type SnapshotStore = ReturnType<typeof createSnapshotStore>;
