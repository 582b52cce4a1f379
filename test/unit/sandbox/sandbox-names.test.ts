import t from 'tap';
import { parseSandboxName, sandboxName } from '../../../src/sandbox/sandbox-names.js';

t.test('a sandbox name carries its deadline and owner, and reads back', async (t) => {
  const name = sandboxName(1893456000000.4, 'f0e1d2c3-b4a5-4697-8877-665544332211', '0a1b2c3d');
  t.equal(name, 'runbox-1893456000001-f0e1d2c3-b4a5-4697-8877-665544332211-0a1b2c3d');
  t.same(parseSandboxName(name), { deadlineMs: 1893456000001, owner: 'f0e1d2c3-b4a5-4697-8877-665544332211' });
  t.same(
    parseSandboxName(`/${name}`),
    { deadlineMs: 1893456000001, owner: 'f0e1d2c3-b4a5-4697-8877-665544332211' },
    'as Docker lists it, with a leading /',
  );
});

t.test('any other name has no deadline, and an owner is letters, digits and dashes', async (t) => {
  for (const other of ['runbox-abc-pool-0a1b2c3d', 'gifted_turing', 'runbox-1893456000000-pool'])
    t.equal(parseSandboxName(other), undefined, other);
  t.throws(() => sandboxName(1, 'a/b', '0a1b2c3d'));
});
