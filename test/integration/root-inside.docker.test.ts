// Root inside, nobody outside: a run may ask for root only where that root is powerless on
// the host. Under gVisor the program is root in the Sentry's kernel, and the Sentry runs as
// an unprivileged host uid; under plain runc root is refused.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { RUN_ID_LABEL } from '../../src/sandbox/container-spec.js';
import { request, runToEnd } from '../helpers/client.js';
import { docker, startService } from '../helpers/service.js';

t.test('root inside is refused under plain runc', async (t) => {
  const { url } = await startService(t, { worker: false, env: { SANDBOX_RUNTIME: 'runc' } });
  const reply = await request(url, 'POST', '/runs', { language: 'bash', source: 'id -u', root: true });
  t.equal(reply.status, 403);
  t.equal(reply.body.code, 'forbidden');
  t.match(reply.body.message, /gVisor|userns-remap/);
});

t.test('under gVisor a root run is uid 0 inside and an unprivileged uid on the host', async (t) => {
  const { url } = await startService(t, { env: { SANDBOX_RUNTIME: 'runsc' } });
  const { body: run } = await request(url, 'POST', '/runs', { language: 'bash', source: 'id -u; echo written > /work/owned && cat /work/owned; sleep 2', root: true });
  let hostUid: string | undefined;
  for (let i = 0; i < 100 && hostUid === undefined; i++) {
    const [container] = await docker.listContainers({ filters: { label: [`${RUN_ID_LABEL}=${run.id}`] } });
    if (container) {
      const pid = (await docker.getContainer(container.Id).inspect()).State.Pid;
      if (pid > 0) hostUid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    }
    if (hostUid === undefined) await new Promise((r) => setTimeout(r, 50));
  }
  t.ok(hostUid !== undefined && hostUid !== '0', `the sandbox's host process runs as uid ${hostUid}, not root`);
  let record = (await request(url, 'GET', `/runs/${run.id}`)).body;
  for (let i = 0; i < 100 && !['completed', 'failed'].includes(record.status); i++) {
    await new Promise((r) => setTimeout(r, 100));
    record = (await request(url, 'GET', `/runs/${run.id}`)).body;
  }
  t.match(record, { status: 'completed', verdict: 'ok', stdout: '0\nwritten\n' });

  const plain = await runToEnd(url, { language: 'bash', source: 'id -u' });
  t.equal(plain.stdout, '1000\n', 'without root a run under gVisor is uid 1000');
});
