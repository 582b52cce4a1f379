import t from 'tap';
import { SandboxFault } from '../../../src/sandbox/container-lifecycle.js';
import { decideFault } from '../../../src/worker/fault-decision.js';

const fresh = { executions: 0, frames: 0 };
const first = { attemptsMade: 0, attempts: 3 };

t.test('a sandbox the engine could not create or start goes back to the queue while tries remain', async (t) => {
  t.same(decideFault(new SandboxFault('cannot create the sandbox: connect ENOENT', 'create'), fresh, first), { retry: true });
  t.same(decideFault(new SandboxFault('cannot start the sandbox: 500', 'start', 500), fresh, first), { retry: true });
  t.match(decideFault(new SandboxFault('cannot start', 'start', 503), fresh, { attemptsMade: 2, attempts: 3 }), {
    retry: false,
    reason: /after 3 tries/,
  });
});

t.test('once a program may have run, the run is never run again', async (t) => {
  t.match(decideFault(new SandboxFault('cannot start', 'start'), { executions: 1, frames: 0 }, first), { retry: false });
  t.match(decideFault(new SandboxFault('cannot start', 'start'), { executions: 0, frames: 3 }, first), { retry: false });
  t.match(decideFault(new SandboxFault('lost the sandbox', 'running'), fresh, first), { retry: false, reason: 'lost the sandbox' });
});

t.test('what the engine refuses it refuses again: no image, root not allowed, a bad option', async (t) => {
  t.match(decideFault(new SandboxFault('runtime image runbox/x:latest is not built', 'create', 404), fresh, first), {
    retry: false,
    reason: /not built/,
  });
  t.match(decideFault(new SandboxFault('root inside refused', 'create', 403), fresh, first), { retry: false });
  t.match(decideFault(new SandboxFault('bad request', 'create', 400), fresh, first), { retry: false });
});

t.test('anything that is not a sandbox fault is a fault of the service: failed, not retried', async (t) => {
  t.match(decideFault(new Error("language x is not in this worker's catalogue"), fresh, first), { retry: false, reason: /catalogue/ });
});
