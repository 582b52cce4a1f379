// test/integration/runs.docker.test.ts again with the warm pool off: every sandbox cold.
process.env.RUNBOX_TEST_POOL_SIZE = '0';
await import('../runs.docker.test.js');
