// test/integration/sessions.docker.test.ts again, every sandbox under gVisor (runsc). tap runs each
// test file in a process of its own, so the runtime set here stays in this file.
process.env.RUNBOX_TEST_SANDBOX_RUNTIME = 'runsc';
await import('../sessions.docker.test.js');
