// What a session may ask for and how many there may be: network off unless the operator
// allows it (checked from the inside: which interfaces exist; no traffic is sent), and the
// global maximum of open sessions (SESSION_MAX_TOTAL) apart from the per-key one.
import t from 'tap';
import { request } from '../helpers/client.js';
import { containersLeftBy, startService } from '../helpers/service.js';

const interfaces = 'python3 -c "import socket; print(*sorted(n for _, n in socket.if_nameindex()))"';

t.test('network: refused unless NETWORK_ALLOWED; when allowed, the session has more than loopback', async (t) => {
  const closed = await startService(t);
  const refused = await request(closed.url, 'POST', '/sessions', { language: 'python', network: true });
  t.match(refused, { status: 403, body: { code: 'forbidden' } });

  const open = await startService(t, { env: { NETWORK_ALLOWED: 'true' } });
  const { status, body: session } = await request(open.url, 'POST', '/sessions', { language: 'python', network: true });
  t.equal(status, 201, JSON.stringify(session));
  const listed = await request(open.url, 'POST', `/sessions/${session.id}/exec`, { command: interfaces });
  const names = String(listed.body.stdout).trim().split(' ');
  t.ok(names.includes('lo') && names.length > 1, `interfaces: ${names.join(', ')}`);
  const offline = (await request(open.url, 'POST', '/sessions', { language: 'python' })).body;
  const alone = await request(open.url, 'POST', `/sessions/${offline.id}/exec`, { command: interfaces });
  t.equal(alone.body.stdout, 'lo\n', 'a session that did not ask has loopback only');
  for (const id of [session.id, offline.id]) {
    t.equal((await request(open.url, 'DELETE', `/sessions/${id}`)).status, 204);
    t.same(await containersLeftBy(id), [], 'its container is gone');
  }
});

t.test('SESSION_MAX_TOTAL: past it 503 sessions_full with Retry-After; a place freed is taken again', async (t) => {
  const { url } = await startService(t, { env: { SESSION_MAX_TOTAL: '1', SESSION_MAX_PER_KEY: '5' } });
  const first = await request(url, 'POST', '/sessions', { language: 'bash' });
  t.equal(first.status, 201, JSON.stringify(first.body));
  const second = await request(url, 'POST', '/sessions', { language: 'bash' });
  t.match(second, { status: 503, body: { code: 'sessions_full' } });
  t.ok(Number(second.headers.get('retry-after')) > 0, `Retry-After: ${second.headers.get('retry-after')}`);
  t.equal((await request(url, 'DELETE', `/sessions/${first.body.id}`)).status, 204);
  const third = await request(url, 'POST', '/sessions', { language: 'bash' });
  t.equal(third.status, 201, 'room again once the first ended');
  t.equal((await request(url, 'DELETE', `/sessions/${third.body.id}`)).status, 204);
  t.same(await containersLeftBy(third.body.id), []);
});
