// The Docker build options of a custom runtime's image, without a daemon.
import t from 'tap';
import { buildOptions, DOCKERFILE_NAME } from '../../../src/sandbox/image-build.js';

t.test("a build's steps get the operator's network, memory without swap and a CPU quota; its Dockerfile is the service's", async (t) => {
  t.same(
    buildOptions({ image: 'runbox/custom-x:h', limits: { timeMs: 1000, maxAddedBytes: 1, memoryMb: 512, cpus: 1.5, network: 'none' } }),
    {
      t: 'runbox/custom-x:h',
      dockerfile: DOCKERFILE_NAME,
      networkmode: 'none',
      memory: 512 * 1024 * 1024,
      memswap: 512 * 1024 * 1024,
      cpuperiod: 100_000,
      cpuquota: 150_000,
      rm: true,
      forcerm: true,
    },
  );
});
