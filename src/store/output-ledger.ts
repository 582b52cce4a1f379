// Ledgers of the output runs keep in Redis, for the output budgets (KEY_OUTPUT_BUDGET_BYTES
// per API key, OUTPUT_BUDGET_BYTES for all): Lua functions the run store's scripts share.
// A ledger is a sorted set of "<run id> <bytes>" entries scored by when the run expires (ms
// since the epoch), with the total of their bytes in a counter beside it. A finished run is
// added to its key's ledger and to the global one; an entry leaves when an admission prunes
// a ledger after the run has expired, and a ledger and its total expire with their last entry.
import type { Keys } from './keys.js';

/** The two ledgers a run of `owner` counts in, as script keys: its key's (set, total), then all runs' (set, total). */
export const ledgerKeys = (keys: Keys, owner: string) => [
  keys.outputLedger(owner),
  keys.outputLedgerBytes(owner),
  keys.outputLedger(),
  keys.outputLedgerBytes(),
];

/** At most this many entries are pruned or looked at in one script, so a script stays short. */
const STEP = 1000;

export const LEDGER = `
local function ledger_entry_bytes(entry) return tonumber(string.match(entry, ' (%d+)$')) end

local function ledger_prune(ledger, total, now)
  local gone = redis.call('ZRANGEBYSCORE', ledger, '-inf', now, 'LIMIT', 0, ${STEP})
  if #gone == 0 then return end
  local freed = 0
  for _, entry in ipairs(gone) do freed = freed + ledger_entry_bytes(entry) end
  redis.call('ZREM', ledger, unpack(gone))
  if redis.call('ZCARD', ledger) == 0 then redis.call('DEL', total)
  elseif redis.call('DECRBY', total, freed) < 0 then redis.call('SET', total, 0, 'KEEPTTL') end
end

-- Milliseconds until the total is below budget, its entries expiring in order; 0 when it is
-- below already or budget is 0. Past the entries looked at, the last one's time: a lower bound.
local function ledger_wait(ledger, total, budget, now)
  budget = tonumber(budget)
  if budget <= 0 then return 0 end
  local kept = tonumber(redis.call('GET', total) or '0')
  if kept < budget then return 0 end
  local entries = redis.call('ZRANGE', ledger, 0, ${STEP - 1}, 'WITHSCORES')
  if #entries == 0 then
    redis.call('DEL', total)
    return 0
  end
  for i = 1, #entries, 2 do
    kept = kept - ledger_entry_bytes(entries[i])
    if kept < budget then return math.max(tonumber(entries[i + 1]) - now, 1) end
  end
  return math.max(tonumber(entries[#entries]) - now, 1)
end

local function ledger_add(ledger, total, entry, bytes, expiry)
  redis.call('ZADD', ledger, expiry, entry)
  redis.call('INCRBY', total, bytes)
  local last = redis.call('ZRANGE', ledger, -1, -1, 'WITHSCORES')[2]
  redis.call('PEXPIREAT', ledger, last)
  redis.call('PEXPIREAT', total, last)
end`;
