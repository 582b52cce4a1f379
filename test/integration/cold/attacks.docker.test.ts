// The attack suite again with the warm pool off: every sandbox started cold for its run.
process.env.RUNBOX_TEST_POOL_SIZE = '0';
const { runAttackSuite } = await import('../../helpers/attack-suite.js');
await runAttackSuite('runc');
