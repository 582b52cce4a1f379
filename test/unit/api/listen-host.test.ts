import t from 'tap';
import { listenHost } from '../../../src/api/listen-host.js';

const recorder = () => {
  const warnings: string[] = [];
  return { warnings, log: { warn: (_obj: object, msg: string) => void warnings.push(msg) } };
};
const key = [{ name: 'a', scopes: ['runs' as const], sha256: '0'.repeat(64) }];

t.test('without keys only loopback is served, whatever HOST says, with a warning', async (t) => {
  for (const host of ['0.0.0.0', '::', '10.1.2.3']) {
    const { warnings, log } = recorder();
    t.equal(listenHost({ host, apiKeys: [] }, log), '127.0.0.1', host);
    t.match(warnings, [/serving on loopback only/]);
  }
  const { log } = recorder();
  t.equal(listenHost({ host: '::1', apiKeys: [] }, log), '::1', 'a loopback HOST is kept');
});

t.test('with keys HOST is used as given, silently', async (t) => {
  const { warnings, log } = recorder();
  t.equal(listenHost({ host: '0.0.0.0', apiKeys: key }, log), '0.0.0.0');
  t.same(warnings, []);
});
