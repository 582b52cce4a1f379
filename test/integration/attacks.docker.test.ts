// The attack suite (test/helpers/attack-suite.ts) under runc, Docker's default runtime, or
// under RUNBOX_TEST_SANDBOX_RUNTIME; runsc/attacks.docker.test.ts runs it under gVisor.
import { runAttackSuite } from '../helpers/attack-suite.js';

await runAttackSuite(process.env.RUNBOX_TEST_SANDBOX_RUNTIME ?? 'runc');
