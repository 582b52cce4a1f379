// Run records in Redis hashes, one JSON value per field, and the state transitions that must
// be atomic (queued -> running, cancel) as Lua scripts. Each transition also appends its
// status frame to the run's event stream in the same step, so a stream never disagrees
// with its record.
import type { Redis } from 'ioredis';
import type { CompareMode } from '../domain/compare.js';
import { RunStatus, type RunRecord } from '../domain/run-record.js';
import type { Keys } from './keys.js';

/** What the worker needs besides the record: the request as validated by the API. */
export interface RunRequest {
  files: { name: string; content: string }[]; // content is base64
  stdin: string;
  args: string[];
  env: Record<string, string>;
  network: boolean;
  /** Root inside, already checked as allowed for this runtime. */
  root?: boolean;
  judge?: JudgeRequest;
}

export interface JudgeRequest {
  tests: { name: string; stdin: string; expected: string }[];
  compare: CompareMode;
  floatTolerance: number;
  stopOnFailure: boolean;
  isolateTests: boolean;
}

const REQUEST_FIELD = 'request';
/** Hidden fields: who submitted the run, and the in-flight set it counts in (plain strings). */
const OWNER_FIELD = 'owner';
const IN_FLIGHT_FIELD = 'inflight';
const hiddenFields = [REQUEST_FIELD, OWNER_FIELD, IN_FLIGHT_FIELD];

// Leaves the in-flight set of the run's key; part of every script that ends a run.
const RELEASE = `
local inflight = redis.call('HGET', KEYS[1], '${IN_FLIGHT_FIELD}')
if inflight then redis.call('ZREM', inflight, ARGV[#ARGV]) end`;

// KEYS: in-flight set; ARGV: now ms, lapse ms, max, run id
const ADMIT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if tonumber(ARGV[3]) > 0 and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** An in-flight entry lapses after this, even if a crash kept it from being released. */
const IN_FLIGHT_LAPSE_MS = 60 * 60 * 1000;

// KEYS: record, events; ARGV: startedAt (JSON)
const START = `
if redis.call('HGET', KEYS[1], 'status') ~= '"queued"' then return 0 end
redis.call('HSET', KEYS[1], 'status', '"running"', 'startedAt', ARGV[1])
redis.call('XADD', KEYS[2], '0-*', 't', 'status', 's', 'running')
return 1`;

// KEYS: record, events, input; ARGV: finishedAt (JSON), retention seconds, run id
// Returns the status the run had: queued runs end here, running ones get a cancel frame.
const CANCEL = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return false end
if status == '"queued"' then
  ${RELEASE}
  redis.call('HSET', KEYS[1], 'status', '"cancelled"', 'finishedAt', ARGV[1])
  redis.call('XADD', KEYS[2], '0-*', 't', 'status', 's', 'cancelled')
  redis.call('XADD', KEYS[2], '0-*', 't', 'end')
  redis.call('EXPIRE', KEYS[2], ARGV[2])
elseif status == '"running"' then
  redis.call('XADD', KEYS[3], '*', 't', 'cancel')
  redis.call('EXPIRE', KEYS[3], ARGV[2])
end
return status`;

// KEYS: record, events; ARGV: finishedAt (JSON), error (JSON), retention seconds, run id
// A run left `running` by a worker that died: it ends failed, after its last frame.
const FAIL_LOST = `
if redis.call('HGET', KEYS[1], 'status') ~= '"running"' then return 0 end
${RELEASE}
redis.call('HSET', KEYS[1], 'status', '"failed"', 'finishedAt', ARGV[1], 'error', ARGV[2])
redis.call('HDEL', KEYS[1], 'request')
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local seq = '0'
if last[1] then seq = string.match(last[1][1], '^(%d+)') end
redis.call('XADD', KEYS[2], seq .. '-*', 't', 'status', 's', 'failed')
redis.call('XADD', KEYS[2], seq .. '-*', 't', 'end')
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1`;

// KEYS: record, events, input; ARGV: retention seconds, last seq, final status, field, value, ..., run id
// Only a running run is finished: a run already ended (recorded lost while a worker it was
// taken from still ran it, or a write replayed after a Redis reconnect) keeps its one end.
const FINISH = `
if redis.call('HGET', KEYS[1], 'status') ~= '"running"' then return 0 end
${RELEASE}
redis.call('HSET', KEYS[1], unpack(ARGV, 4, #ARGV - 1))
redis.call('HDEL', KEYS[1], '${REQUEST_FIELD}')
redis.call('XADD', KEYS[2], ARGV[2] .. '-*', 't', 'status', 's', ARGV[3])
redis.call('XADD', KEYS[2], ARGV[2] .. '-*', 't', 'end')
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[1]) end
return 1`;

export type CancelOutcome = 'cancelled' | 'cancelling' | 'ended' | 'missing';

function encode(record: Partial<RunRecord>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) if (value !== undefined) fields[key] = JSON.stringify(value);
  return fields;
}

export interface RunStoreOptions {
  redis: Redis;
  keys: Keys;
  retentionSeconds: number;
}

export function createRunStore({ redis, keys, retentionSeconds }: RunStoreOptions) {
  /**
   * Writes a queued run, counted in its owner's in-flight set; false (and nothing written)
   * when the owner already has `maxInFlight` runs queued or running (0: no cap).
   */
  async function create(record: RunRecord, request: RunRequest, owner: string, maxInFlight = 0): Promise<boolean> {
    const inFlight = keys.inFlight(owner);
    if ((await redis.eval(ADMIT, 1, inFlight, Date.now(), IN_FLIGHT_LAPSE_MS, maxInFlight, record.id)) !== 1) return false;
    await redis
      .multi()
      .hset(keys.run(record.id), { ...encode(record), [REQUEST_FIELD]: JSON.stringify(request), [OWNER_FIELD]: owner, [IN_FLIGHT_FIELD]: inFlight })
      .xadd(keys.events(record.id), '0-*', 't', 'status', 's', RunStatus.queued)
      .expire(keys.run(record.id), retentionSeconds)
      .expire(keys.events(record.id), retentionSeconds)
      .exec();
    return true;
  }

  /** The record and who owns it; undefined when there is no such run (or it expired). */
  async function getOwned(id: string): Promise<{ record: RunRecord; owner: string | undefined } | undefined> {
    const fields = await redis.hgetall(keys.run(id));
    if (!fields.status) return undefined;
    const owner = fields[OWNER_FIELD];
    for (const hidden of hiddenFields) delete fields[hidden];
    const record: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(fields)) record[key] = JSON.parse(value);
    return { record: record as RunRecord, owner };
  }

  async function get(id: string): Promise<RunRecord | undefined> {
    return (await getOwned(id))?.record;
  }

  async function getRequest(id: string): Promise<RunRequest | undefined> {
    const raw = await redis.hget(keys.run(id), REQUEST_FIELD);
    return raw ? (JSON.parse(raw) as RunRequest) : undefined;
  }

  /** queued -> running, atomically: false when the run was cancelled or another worker has it. */
  async function markRunning(id: string, startedAt: string): Promise<boolean> {
    return (await redis.eval(START, 2, keys.run(id), keys.events(id), JSON.stringify(startedAt))) === 1;
  }

  /** Back to queued after the sandbox could not start (and printed nothing), so a retry may run it. */
  async function markQueuedAgain(id: string): Promise<void> {
    await redis
      .multi()
      .hset(keys.run(id), { status: JSON.stringify(RunStatus.queued), startedAt: 'null' })
      .xadd(keys.events(id), '0-*', 't', 'status', 's', RunStatus.queued)
      .exec();
  }

  /** Ends a run whose worker was lost mid-run as failed; false when it was not running. */
  async function failLost(id: string, error: string, finishedAt: string): Promise<boolean> {
    const done = await redis.eval(FAIL_LOST, 2, keys.run(id), keys.events(id), JSON.stringify(finishedAt), JSON.stringify(error), retentionSeconds, id);
    return done === 1;
  }

  /**
   * Writes the final fields, then the status and end frames, in one step; the request is
   * dropped. False (and nothing written) when the run is not running any more.
   */
  async function finish(id: string, final: Partial<RunRecord>, lastSeq: number): Promise<boolean> {
    const fields = Object.entries(encode(final)).flat();
    const done = await redis.eval(FINISH, 3, keys.run(id), keys.events(id), keys.input(id), retentionSeconds, lastSeq, final.status ?? RunStatus.failed, ...fields, id);
    return done === 1;
  }

  async function cancel(id: string, finishedAt: string): Promise<CancelOutcome> {
    const status = (await redis.eval(CANCEL, 3, keys.run(id), keys.events(id), keys.input(id), JSON.stringify(finishedAt), retentionSeconds, id)) as string | null;
    if (status === null) return 'missing';
    if (status === JSON.stringify(RunStatus.queued)) return 'cancelled';
    if (status === JSON.stringify(RunStatus.running)) return 'cancelling';
    return 'ended';
  }

  return { create, get, getOwned, getRequest, markRunning, markQueuedAgain, failLost, finish, cancel };
}

export type RunStore = ReturnType<typeof createRunStore>;
