// What Judge0 submissions asked for beside their runs (language id, inputs as given, options:
// Judge0Meta), one JSON string per run, and an index of them by creation for the admin
// listing. Each is kept twice RUN_RETENTION_S (its run's record lives RUN_RETENTION_S from its
// end) and counts in its key's and everyone's output ledger meanwhile, so kept inputs are
// bounded by the same storage budgets as output.
import type { Redis } from 'ioredis';
import type { Judge0Meta } from '../domain/judge0/submission.js';
import type { Keys } from './keys.js';
import { luaScript } from './lua-script.js';
import { LEDGER, ledgerKeys } from './output-ledger.js';

// KEYS: meta, index, the owner's ledger (set, total), all runs' ledger (set, total);
// ARGV: JSON, ttl seconds, created ms, expiry ms, ledger entry, bytes, run id, index entries
// older than this (ms) leave, so the index holds only what may still be kept.
const SAVE = `
${LEDGER}
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[8])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[7])
ledger_add(KEYS[3], KEYS[4], ARGV[5], ARGV[6], ARGV[4])
ledger_add(KEYS[5], KEYS[6], ARGV[5], ARGV[6], ARGV[4])
return 1`;

// KEYS as SAVE; ARGV: ledger entry, bytes, run id. Undoes SAVE (the run was not admitted).
const DISCARD = `
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[3])
for i = 3, 5, 2 do
  if redis.call('ZREM', KEYS[i], ARGV[1]) == 1 then
    if redis.call('DECRBY', KEYS[i + 1], ARGV[2]) < 0 then redis.call('SET', KEYS[i + 1], 0, 'KEEPTTL') end
  end
end
return 1`;

const scripts = { save: luaScript(SAVE), discard: luaScript(DISCARD) };

export interface Judge0SubmissionsOptions {
  redis: Redis;
  keys: Keys;
  retentionSeconds: number;
}

export function createJudge0Submissions({ redis, keys, retentionSeconds }: Judge0SubmissionsOptions) {
  const ttlSeconds = 2 * retentionSeconds;
  const scriptKeys = (id: string, owner: string) => [keys.judge0Submission(id), keys.judge0Submissions(), ...ledgerKeys(keys, owner)];
  const ledgerEntry = (id: string, bytes: number) => [`${id}:judge0 ${bytes}`, bytes] as const;

  async function save(id: string, meta: Judge0Meta, owner: string, createdAt: Date): Promise<void> {
    const json = JSON.stringify(meta);
    const bytes = Buffer.byteLength(json);
    const [entry] = ledgerEntry(id, bytes);
    const expiry = createdAt.getTime() + ttlSeconds * 1000;
    const oldest = createdAt.getTime() - ttlSeconds * 1000;
    await scripts.save(redis, scriptKeys(id, owner), json, ttlSeconds, createdAt.getTime(), expiry, entry, bytes, id, oldest);
  }

  async function discard(id: string, meta: Judge0Meta, owner: string): Promise<void> {
    const [entry, bytes] = ledgerEntry(id, Buffer.byteLength(JSON.stringify(meta)));
    await scripts.discard(redis, scriptKeys(id, owner), entry, bytes, id);
  }

  async function get(id: string): Promise<Judge0Meta | undefined> {
    const json = await redis.get(keys.judge0Submission(id));
    return json ? (JSON.parse(json) as Judge0Meta) : undefined;
  }

  async function getMany(ids: readonly string[]): Promise<(Judge0Meta | undefined)[]> {
    if (ids.length === 0) return [];
    const values = await redis.mget(ids.map((id) => keys.judge0Submission(id)));
    return values.map((json) => (json ? (JSON.parse(json) as Judge0Meta) : undefined));
  }

  /** Forgets a submission's meta (its run was deleted); its ledger entry lapses on its own. */
  async function remove(id: string): Promise<void> {
    await redis.multi().del(keys.judge0Submission(id)).zrem(keys.judge0Submissions(), id).exec();
  }

  /** One page of the kept submissions, newest first, and how many there are. */
  async function page(offset: number, count: number, now = Date.now()): Promise<{ ids: string[]; total: number }> {
    const index = keys.judge0Submissions();
    await redis.zremrangebyscore(index, '-inf', now - ttlSeconds * 1000);
    const [ids, total] = await Promise.all([redis.zrevrange(index, offset, offset + count - 1), redis.zcard(index)]);
    return { ids, total };
  }

  return { save, discard, get, getMany, remove, page };
}

export type Judge0Submissions = ReturnType<typeof createJudge0Submissions>;
