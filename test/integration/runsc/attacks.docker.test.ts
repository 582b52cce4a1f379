// The attack suite (test/helpers/attack-suite.ts) under gVisor (runsc): every attack, with
// the outcomes the suite's table gives for gVisor where they differ, and why. tap runs each
// test file in a process of its own, so the runtime chosen here stays in this file.
import { runAttackSuite } from '../../helpers/attack-suite.js';

await runAttackSuite('runsc');
