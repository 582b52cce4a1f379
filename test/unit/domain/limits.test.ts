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
