// Run records in Redis hashes of plain fields (hash-codec.ts: `status` is `queued`, a number
// is its digits, null an absent field, objects JSON), checked against the record schema when
// read, and the state transitions that must be atomic (queued -> running, cancel) as Lua scripts. Each transition also appends its
// status frame to the run's event stream in the same step, so a stream never disagrees
// with its record.
import type { Redis } from 'ioredis';
import { pipelineReplies } from './pipeline-replies.js';
import { RunSpecSchema, type RunSpec } from '../domain/run-spec.js';
import { keptOutputBytes, omitOutput, RunRecordSchema, RunStatus, type RunRecord } from '../domain/run-record.js';
import type { Keys } from './keys.js';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { createHashCodec, StoredRecordError } from './hash-codec.js';
import { luaScript } from './lua-script.js';
import { LEDGER, ledgerKeys } from './output-ledger.js';

/**
 * Hidden fields: who submitted the run, the in-flight set it counts in (plain strings), and
 * the bytes of stdin frames it has been sent (a number, kept by run-input.ts).
 */
const OWNER_FIELD = 'owner';
const IN_FLIGHT_FIELD = 'inflight';
export const STDIN_BYTES_FIELD = 'stdinbytes';

// Every script below gets the same keys (record, events, input, request) and the run id as
// its last argument.

// Leaves the in-flight set of the run's key.
const RELEASE = `
local inflight = redis.call('HGET', KEYS[1], '${IN_FLIGHT_FIELD}')
if inflight then redis.call('ZREM', inflight, ARGV[#ARGV]) end`;

// How every run ends (cancelled while queued, lost, finished): out of the in-flight set,
// request and input stream dropped (no one reads them any more), status and end frames
// after output frame `seq`, record and events kept for the retention from now.
const END_RUN = `
local function end_run(seq, status, retention)
  ${RELEASE}
  redis.call('DEL', KEYS[3], KEYS[4])
  redis.call('XADD', KEYS[2], seq .. '-*', 't', 'status', 's', status)
  redis.call('XADD', KEYS[2], seq .. '-*', 't', 'end')
  for i = 1, 2 do redis.call('EXPIRE', KEYS[i], retention) end
  redis.call('PUBLISH', KEYS[2], 'end')
end`;

// KEYS: in-flight set, record, events, request, then the owner's and all runs' output
// ledgers (set, total each); ARGV: now ms, lapse ms, max in flight, retention seconds,
// owner, request (JSON), key output budget, output budget, field, value, ..., run id.
// Admission (the owner's in-flight cap, its output budget, everyone's) and the record,
// request and queued frame are one step: all or nothing. Returns the refusal, if any, and
// for a budget the ms until enough output has expired.
const CREATE = `
${LEDGER}
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if tonumber(ARGV[3]) > 0 and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return {'in_flight'} end
ledger_prune(KEYS[5], KEYS[6], now)
ledger_prune(KEYS[7], KEYS[8], now)
local wait = ledger_wait(KEYS[5], KEYS[6], ARGV[7], now)
if wait > 0 then return {'key_output_budget', wait} end
wait = ledger_wait(KEYS[7], KEYS[8], ARGV[8], now)
if wait > 0 then return {'output_budget', wait} end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[#ARGV])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], '${OWNER_FIELD}', ARGV[5], '${IN_FLIGHT_FIELD}', KEYS[1], unpack(ARGV, 9, #ARGV - 1))
redis.call('SET', KEYS[4], ARGV[6], 'EX', ARGV[4])
redis.call('XADD', KEYS[3], '0-*', 't', 'status', 's', 'queued')
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('EXPIRE', KEYS[3], ARGV[4])
return {'admitted'}`;

// KEYS: record, events, input, request; ARGV: run id. Undoes CREATE (the job could not be queued).
const DISCARD = `
${RELEASE}
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
return 1`;

/** An in-flight entry lapses after this, even if a crash kept it from being released. */
const IN_FLIGHT_LAPSE_MS = 60 * 60 * 1000;

// KEYS: record, events; ARGV: startedAt
const START = `
if redis.call('HGET', KEYS[1], 'status') ~= 'queued' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'running', 'startedAt', ARGV[1])
redis.call('XADD', KEYS[2], '0-*', 't', 'status', 's', 'running')
return 1`;

// KEYS: record, events. running -> queued, for a retry after the sandbox could not start;
// a run that ended meanwhile (recorded lost, say) stays ended.
const REQUEUE = `
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'queued')
redis.call('HDEL', KEYS[1], 'startedAt')
redis.call('XADD', KEYS[2], '0-*', 't', 'status', 's', 'queued')
return 1`;

// ARGV: finishedAt, retention seconds, run id
// Returns the status the run had: queued runs end here, running ones get a cancel frame.
const CANCEL = `
${END_RUN}
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return false end
if status == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'cancelled', 'finishedAt', ARGV[1])
  end_run('0', 'cancelled', ARGV[2])
elseif status == 'running' then
  redis.call('XADD', KEYS[3], '*', 't', 'cancel')
  redis.call('EXPIRE', KEYS[3], ARGV[2])
end
return status`;

// ARGV: finishedAt, error, retention seconds, '1' if a queued run ends too, run id
// A run left `running` by a worker that died (or, with the flag, a run whose job the queue
// gave up on, queued or running): it ends failed, after its last frame.
const FAIL_LOST = `
${END_RUN}
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'running' and not (status == 'queued' and ARGV[4] == '1') then return 0 end
redis.call('HSET', KEYS[1], 'status', 'failed', 'finishedAt', ARGV[1], 'error', ARGV[2])
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local seq = '0'
if last[1] then seq = string.match(last[1][1], '^(%d+)') end
end_run(seq, 'failed', ARGV[3])
return 1`;

// KEYS: the run's four, then its owner's and all runs' output ledgers, then its artifacts;
// ARGV: retention seconds, last seq, final status, now ms, output bytes kept, large output
// bytes, large output retention seconds, field, value, ..., run id.
// Only a running run is finished: a run already ended (recorded lost while a worker it was
// taken from still ran it, or a write replayed after a Redis reconnect) keeps its one end.
// A run that keeps a large output is kept for the shorter retention, its artifacts with it;
// what it keeps (artifacts included) is entered in both ledgers until it expires.
const FINISH = `
${END_RUN}
${LEDGER}
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 8, #ARGV - 1))
local retention = tonumber(ARGV[1])
if tonumber(ARGV[5]) > tonumber(ARGV[6]) then retention = math.min(retention, tonumber(ARGV[7])) end
end_run(ARGV[2], ARGV[3], retention)
redis.call('EXPIRE', KEYS[9], retention)
if tonumber(ARGV[5]) > 0 then
  local expiry = tonumber(ARGV[4]) + retention * 1000
  local entry = ARGV[#ARGV] .. ' ' .. ARGV[5]
  ledger_add(KEYS[5], KEYS[6], entry, ARGV[5], expiry)
  ledger_add(KEYS[7], KEYS[8], entry, ARGV[5], expiry)
end
return 1`;

export type CancelOutcome = 'cancelled' | 'cancelling' | 'ended' | 'missing';

/**
 * Whether a run was written: refused when its key has `maxInFlight` runs queued or running,
 * or keeps its output budget's worth, or all runs keep theirs (then `retryAfterMs`: until
 * enough of it has expired).
 */
export type Admission =
  | { admitted: true }
  | { admitted: false; refusal: 'in_flight' }
  | { admitted: false; refusal: 'key_output_budget' | 'output_budget'; retryAfterMs: number };

// KEYS: record; ARGV: output fields, ..., most bytes. Their stored size, and the whole
// record when that is at most the most bytes.
const GET_IF_OUTPUT_FITS = `
local size = 0
for i = 1, #ARGV - 1 do size = size + redis.call('HSTRLEN', KEYS[1], ARGV[i]) end
if size > tonumber(ARGV[#ARGV]) then return {size} end
return {size, redis.call('HGETALL', KEYS[1])}`;

/** The record's fields that hold output; a summary reads the others. */
const OUTPUT_FIELDS = ['stdout', 'stderr', 'compile', 'tests'] as const;
const SUMMARY_FIELDS = Object.keys(RunRecordSchema.properties).filter((field) => field !== 'stdout' && field !== 'stderr');

const codec = createHashCodec(RunRecordSchema);

/** A record's hash as the record and its owner; undefined for a run that does not exist. */
function ownedRecord(fields: Record<string, string>): { record: RunRecord; owner: string | undefined } | undefined {
  if (!fields.status) return undefined;
  return { record: codec.decode(fields)!, owner: fields[OWNER_FIELD] };
}

const specCheck = TypeCompiler.Compile(RunSpecSchema);

/** The stored request, checked: what the API validated comes back the same, or it is an error here. */
function checkedSpec(raw: string): RunSpec {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new StoredRecordError('stored run request is not JSON');
  }
  if (!specCheck.Check(value)) {
    const first = specCheck.Errors(value).First();
    throw new StoredRecordError(`stored run request does not match RunSpec: ${first?.path || '/'} ${first?.message ?? ''}`.trim());
  }
  return value;
}

export interface RunStoreOptions {
  redis: Redis;
  keys: Keys;
  retentionSeconds: number;
  /** A run that keeps more than `bytes` of output is kept `retentionSeconds` instead (never longer than the store's). */
  largeOutput?: { bytes: number; retentionSeconds: number };
  /** Output one key's runs, and all runs, may keep before submissions are refused (0: no budget). */
  outputBudgets?: { perKeyBytes: number; totalBytes: number };
}

/** Each script called by its SHA-1 (lua-script.ts). */
const scripts = {
  create: luaScript(CREATE),
  discard: luaScript(DISCARD),
  start: luaScript(START),
  requeue: luaScript(REQUEUE),
  cancel: luaScript(CANCEL),
  failLost: luaScript(FAIL_LOST),
  finish: luaScript(FINISH),
  getIfOutputFits: luaScript(GET_IF_OUTPUT_FITS),
};

export function createRunStore({ redis, keys, retentionSeconds, largeOutput, outputBudgets }: RunStoreOptions) {
  /** The four keys every script that ends or undoes a run takes. */
  const runKeys = (id: string) => [keys.run(id), keys.events(id), keys.input(id), keys.request(id)];

  /**
   * Writes a queued run, counted in its owner's in-flight set, unless the owner already has
   * `maxInFlight` runs queued or running (0: no cap) or an output budget is spent: then
   * nothing is written.
   */
  async function create(record: RunRecord, request: RunSpec, owner: string, maxInFlight = 0): Promise<Admission> {
    const id = record.id;
    const fields = Object.entries(codec.encode(record)).flat();
    const keyList = [keys.inFlight(owner), keys.run(id), keys.events(id), keys.request(id), ...ledgerKeys(keys, owner)];
    const budgets = [outputBudgets?.perKeyBytes ?? 0, outputBudgets?.totalBytes ?? 0];
    const [outcome, waitMs] = (await scripts.create(
      redis,
      keyList,
      Date.now(),
      IN_FLIGHT_LAPSE_MS,
      maxInFlight,
      retentionSeconds,
      owner,
      JSON.stringify(request),
      ...budgets,
      ...fields,
      id,
    )) as [string, number?];
    if (outcome === 'admitted') return { admitted: true };
    if (outcome === 'in_flight') return { admitted: false, refusal: 'in_flight' };
    return { admitted: false, refusal: outcome as 'key_output_budget' | 'output_budget', retryAfterMs: waitMs ?? 1 };
  }

  /** Removes a run that was written but could not be queued, and frees its in-flight place. */
  async function discard(id: string): Promise<void> {
    await scripts.discard(redis, runKeys(id), id);
  }

  /** The record and who owns it; undefined when there is no such run (or it expired). */
  async function getOwned(id: string): Promise<{ record: RunRecord; owner: string | undefined } | undefined> {
    return ownedRecord(await redis.hgetall(keys.run(id)));
  }

  /**
   * The record and who owns it, in one step, if its output (stdout, stderr, compile, tests,
   * as stored) takes at most `maxOutputBytes`; else only how much it takes. Undefined when
   * there is no such run.
   */
  async function getOwnedIfOutputFits(
    id: string,
    maxOutputBytes: number,
  ): Promise<{ record: RunRecord; owner: string | undefined; outputBytes: number } | { tooLarge: number } | undefined> {
    const [outputBytes, flat] = (await scripts.getIfOutputFits(redis, [keys.run(id)], ...OUTPUT_FIELDS, maxOutputBytes)) as [
      number,
      string[]?,
    ];
    if (!flat) return { tooLarge: outputBytes };
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
    const owned = ownedRecord(fields);
    return owned && { ...owned, outputBytes };
  }

  /**
   * The record without its output (omitOutput), who owns it, and how many bytes its output
   * takes as stored (stdout, stderr, compile, tests): for a list that must not read more
   * than its budget. stdout and stderr are not read.
   */
  async function getOwnedSummary(id: string): Promise<{ record: RunRecord; owner: string | undefined; outputBytes: number } | undefined> {
    const pipeline = redis.pipeline().hmget(keys.run(id), OWNER_FIELD, ...SUMMARY_FIELDS);
    for (const field of OUTPUT_FIELDS) pipeline.hstrlen(keys.run(id), field);
    const [values, ...lengths] = await pipelineReplies(pipeline);
    const [owner, ...summary] = values as (string | null)[];
    const fields = Object.fromEntries(SUMMARY_FIELDS.flatMap((field, i) => (summary[i] === null ? [] : [[field, summary[i]!]])));
    if (!fields.status) return undefined;
    const record = omitOutput(codec.decode({ ...fields, stdout: '', stderr: '' })!);
    return { record, owner: owner ?? undefined, outputBytes: lengths.reduce((sum: number, length) => sum + Number(length), 0) };
  }

  async function get(id: string): Promise<RunRecord | undefined> {
    return (await getOwned(id))?.record;
  }

  async function getRequest(id: string): Promise<RunSpec | undefined> {
    const raw = await redis.get(keys.request(id));
    return raw === null ? undefined : checkedSpec(raw);
  }

  /** queued -> running, atomically: false when the run was cancelled or another worker has it. */
  async function markRunning(id: string, startedAt: string): Promise<boolean> {
    return (await scripts.start(redis, [keys.run(id), keys.events(id)], startedAt)) === 1;
  }

  /** Back to queued after the sandbox could not start (and printed nothing), so a retry may run it; false when the run is not running any more. */
  async function markQueuedAgain(id: string): Promise<boolean> {
    return (await scripts.requeue(redis, [keys.run(id), keys.events(id)])) === 1;
  }

  /**
   * Ends a run whose worker was lost mid-run as failed; false when it was not running. With
   * `queuedToo`, a queued run ends too (its job was given up before any worker marked it).
   */
  async function failLost(id: string, error: string, finishedAt: string, { queuedToo = false } = {}): Promise<boolean> {
    const done = await scripts.failLost(redis, runKeys(id), finishedAt, error, retentionSeconds, queuedToo ? '1' : '0', id);
    return done === 1;
  }

  /**
   * Writes the final fields, then the status and end frames, in one step; the request is
   * dropped. False (and nothing written) when the run is not running any more.
   */
  async function finish(id: string, final: Partial<RunRecord>, lastSeq: number): Promise<boolean> {
    const fields = Object.entries(codec.encode(final)).flat();
    // Who owns the run (its ledger) and its output cap (what its event stream may hold) never change.
    const [owner, limits] = await redis.hmget(keys.run(id), OWNER_FIELD, 'limits');
    const kept = keptOutputBytes(final, limits ? codec.decodeField('limits', limits).outputBytes : 0);
    const large = largeOutput ?? { bytes: Number.MAX_SAFE_INTEGER, retentionSeconds };
    const keyList = [...runKeys(id), ...ledgerKeys(keys, owner ?? ''), keys.artifacts(id)];
    const done = await scripts.finish(
      redis,
      keyList,
      retentionSeconds,
      lastSeq,
      final.status ?? RunStatus.failed,
      Date.now(),
      kept,
      large.bytes,
      large.retentionSeconds,
      ...fields,
      id,
    );
    return done === 1;
  }

  async function cancel(id: string, finishedAt: string): Promise<CancelOutcome> {
    const status = (await scripts.cancel(redis, runKeys(id), finishedAt, retentionSeconds, id)) as string | null;
    if (status === null) return 'missing';
    if (status === RunStatus.queued) return 'cancelled';
    if (status === RunStatus.running) return 'cancelling';
    return 'ended';
  }

  return {
    create,
    discard,
    get,
    getOwned,
    getOwnedIfOutputFits,
    getOwnedSummary,
    getRequest,
    markRunning,
    markQueuedAgain,
    failLost,
    finish,
    cancel,
  };
}

export type RunStore = ReturnType<typeof createRunStore>;
