import t from 'tap';
import { LimitExceededError, resolveLimits } from '../../../src/domain/limits.js';

const defaults = { timeMs: 5000, cpuTimeMs: 2000, memoryMb: 256, cpus: 1, pids: 64, outputBytes: 1024, diskMb: 64 };
const maxima = { timeMs: 30000, cpuTimeMs: 20000, memoryMb: 1024, cpus: 2, pids: 256, outputBytes: 4096, diskMb: 512 };

t.test('uses the server defaults when the request gives no limits', async (t) => {
  t.same(resolveLimits(undefined, defaults, maxima), defaults);
});

t.test('takes each requested limit up to the maximum', async (t) => {
  t.same(resolveLimits({ timeMs: 30000, cpus: 0.5 }, defaults, maxima), { ...defaults, timeMs: 30000, cpus: 0.5 });
});

t.test('throws limit_exceeded naming the limit when memoryMb is above the maximum', async (t) => {
  t.throws(() => resolveLimits({ memoryMb: 1025 }, defaults, maxima), new LimitExceededError('memoryMb', 1025, 1024));
});

t.test("a runtime's defaults (a JVM wants more memory) replace the server's, clamped to the maxima", async (t) => {
  t.same(resolveLimits(undefined, defaults, maxima, { memoryMb: 512, timeMs: 60000 }), { ...defaults, memoryMb: 512, timeMs: 30000 });
  t.same(resolveLimits({ memoryMb: 128 }, defaults, maxima, { memoryMb: 512 }), { ...defaults, memoryMb: 128 }, 'the request wins');
});

t.test('a value exactly at the maximum is taken; one above any maximum names that limit', async (t) => {
  t.same(resolveLimits({ ...maxima }, defaults, maxima), maxima);
  for (const name of Object.keys(maxima) as (keyof typeof maxima)[]) {
    const above = name === 'cpus' ? maxima.cpus + 0.01 : maxima[name] + 1;
    t.throws(() => resolveLimits({ [name]: above }, defaults, maxima), { name: 'LimitExceededError', limit: name, maximum: maxima[name] });
  }
});

t.test('a CPU limit asked for without a wall limit gets a wall limit of twice it, within the maximum', async (t) => {
  t.equal(resolveLimits({ cpuTimeMs: 4000 }, defaults, maxima).timeMs, 8000, 'twice the CPU limit, so the CPU limit can be reached');
  t.equal(resolveLimits({ cpuTimeMs: 1000 }, defaults, maxima).timeMs, 5000, 'never below the default wall limit');
  t.equal(resolveLimits({ cpuTimeMs: 20000 }, defaults, maxima).timeMs, 30000, 'never above the maximum');
  t.equal(resolveLimits({ cpuTimeMs: 4000, timeMs: 4500 }, defaults, maxima).timeMs, 4500, 'a wall limit asked for is kept');
  t.equal(
    resolveLimits(undefined, defaults, maxima, { cpuTimeMs: 9000 }).timeMs,
    5000,
    "a runtime's CPU default does not move the wall limit",
  );
});
