// test/integration/artifacts.docker.test.ts again, every sandbox under gVisor (runsc).
process.env.RUNBOX_TEST_SANDBOX_RUNTIME = 'runsc';
await import('../artifacts.docker.test.js');
