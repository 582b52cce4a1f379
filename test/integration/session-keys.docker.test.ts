// Sessions and snapshots under API keys: scopes (runs to open and command, read to read),
// ownership (another key's session, its files, terminal and snapshots are a 404; an admin key
// sees them), and the key's snapshot byte quota.
import t from 'tap';
import { sha256Hex } from '../../src/api/auth.js';
import { readStream, request } from '../helpers/client.js';
import { startService } from '../helpers/service.js';

const keys = { alice: 'alice-key', bob: 'bob-key', reader: 'reader-key', root: 'root-key' };
const API_KEYS = [
  `alice:runs+read:${sha256Hex(keys.alice)}`,
  `bob:runs+read:${sha256Hex(keys.bob)}`,
  `reader:read:${sha256Hex(keys.reader)}`,
  `root:admin:${sha256Hex(keys.root)}`,
].join(',');
const as = (key: string) => ({ authorization: `Bearer ${key}` });

t.test('session keys, scopes and ownership', async (t) => {
  const { url, wsUrl } = await startService(t, { env: { API_KEYS, SNAPSHOT_KEY_MAX_BYTES: String(64 * 1024) } });
  const opened = await request(url, 'POST', '/sessions', { language: 'bash' }, as(keys.alice));
  t.equal(opened.status, 201, JSON.stringify(opened.body));
  const id = opened.body.id;
  const snapshot = (await request(url, 'POST', `/sessions/${id}/snapshot`, {}, as(keys.alice))).body.snapshot;
  t.type(snapshot, 'string');

  t.equal((await request(url, 'POST', '/sessions', { language: 'bash' })).status, 401, 'no key: 401');
  t.equal((await request(url, 'POST', '/sessions', { language: 'bash' }, as(keys.reader))).status, 403, 'read scope cannot open');
  t.equal(
    (await request(url, 'POST', `/sessions/${id}/exec`, { command: 'true' }, as(keys.reader))).status,
    403,
    'read scope cannot command a session',
  );

  for (const [method, path, body] of [
    ['GET', `/sessions/${id}`],
    ['POST', `/sessions/${id}/exec`, { command: 'true' }],
    ['GET', `/sessions/${id}/files`],
    ['DELETE', `/sessions/${id}/files/x`],
    ['POST', `/sessions/${id}/keepalive`],
    ['POST', `/sessions/${id}/snapshot`, {}],
    ['DELETE', `/sessions/${id}`],
    ['GET', `/snapshots/${snapshot}`],
    ['DELETE', `/snapshots/${snapshot}`],
    ['POST', '/sessions', { snapshot }],
  ] as const) {
    t.equal((await request(url, method, path, body, as(keys.bob))).status, 404, `bob: ${method} ${path} is a 404`);
  }
  t.same((await request(url, 'GET', '/sessions', undefined, as(keys.bob))).body.sessions, [], "bob lists none of alice's");
  t.same((await request(url, 'GET', '/snapshots', undefined, as(keys.bob))).body.snapshots, []);
  const { closeCode } = await readStream(wsUrl, `/sessions/${id}/shell?access_token=${keys.bob}`);
  t.equal(closeCode, 4404, "bob's terminal into alice's session closes 4404");

  t.equal((await request(url, 'GET', `/sessions/${id}`, undefined, as(keys.root))).status, 200, 'an admin key sees it');
  // A work folder past what the key's snapshots may hold in all (SNAPSHOT_KEY_MAX_BYTES): refused, nothing kept.
  const put = await fetch(`${url}/sessions/${id}/files/big.bin`, {
    method: 'PUT',
    headers: as(keys.alice),
    body: new Uint8Array(100 * 1024),
  });
  t.equal(put.status, 204);
  const tooBig = await request(url, 'POST', `/sessions/${id}/snapshot`, {}, as(keys.alice));
  t.equal(tooBig.status, 429, JSON.stringify(tooBig.body));
  t.equal(tooBig.body.code, 'snapshot_quota_exceeded');
  t.equal((await request(url, 'GET', '/snapshots', undefined, as(keys.alice))).body.snapshots.length, 1, 'only the first snapshot is kept');
  t.equal(
    (await request(url, 'POST', `/sessions/${id}/exec`, { command: 'true' }, as(keys.alice))).body.verdict,
    'ok',
    'alice still uses it',
  );
  t.equal((await request(url, 'DELETE', `/snapshots/${snapshot}`, undefined, as(keys.alice))).status, 204);
  t.equal((await request(url, 'DELETE', `/sessions/${id}`, undefined, as(keys.alice))).status, 204);
});
