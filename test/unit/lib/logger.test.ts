import { Writable } from 'node:stream';
import t from 'tap';
import { createLogger, maskToken } from '../../../src/lib/logger.js';

t.test('an access_token in a logged URL is masked, the rest kept', async (t) => {
  t.equal(maskToken('/runs/1/stream?access_token=secret&from=3'), '/runs/1/stream?access_token=[redacted]&from=3');
  t.equal(maskToken('/runs/1/stream?from=3&ACCESS_TOKEN=secret'), '/runs/1/stream?from=3&ACCESS_TOKEN=[redacted]');
  t.equal(maskToken('/runs/1'), '/runs/1');
});

/** A logger whose lines are kept, parsed. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(chunk.toString())), done()) });
  return { log: createLogger('info', 'test', sink), lines };
}

t.test('a request, a body or headers logged by hand keep no key, source, files, stdin or env', async (t) => {
  const { log, lines } = capture();
  const body = {
    language: 'bash',
    source: 'MARK-source',
    files: [{ name: 'a', content: 'MARK-file' }],
    stdin: 'MARK-stdin',
    env: { T: 'MARK-env' },
  };
  log.info({ body }, 'a body');
  log.info({ request: { headers: { authorization: 'Bearer MARK-key', cookie: 'MARK-cookie', accept: 'x' } } }, 'headers');
  log.info({ upstream: { authorization: 'Bearer MARK-key2' } }, 'a bare header');
  const text = JSON.stringify(lines);
  for (const mark of ['source', 'file', 'stdin', 'env', 'key', 'cookie', 'key2']) t.notMatch(text, `MARK-${mark}"`, `no ${mark}`);
  t.match(lines[0], { body: { language: 'bash', source: '[redacted]', files: '[redacted]' } }, 'the rest of the body stays');
  t.match(lines[1], { request: { headers: { accept: 'x', authorization: '[redacted]' } } });
});

t.test('the request serializer keeps method, masked URL and addresses: never headers or a body', async (t) => {
  const { log, lines } = capture();
  const req = {
    method: 'POST',
    url: '/runs/1/stream?access_token=MARK-token',
    hostname: 'localhost',
    ip: '127.0.0.1',
    socket: { remotePort: 5000 },
    headers: { authorization: 'Bearer MARK-key' },
    body: { source: 'MARK-source' },
  };
  log.info({ req }, 'request');
  t.same(lines[0].req, {
    method: 'POST',
    url: '/runs/1/stream?access_token=[redacted]',
    host: 'localhost',
    remoteAddress: '127.0.0.1',
    remotePort: 5000,
  });
});
