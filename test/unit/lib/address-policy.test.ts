import t from 'tap';
import { isPrivateAddress } from '../../../src/lib/address-policy.js';
import { signBody, verifySignature } from '../../../src/lib/signature.js';

const privateOnes = ['127.0.0.1', '10.0.0.5', '172.16.3.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-ip'];
const publicOnes = ['8.8.8.8', '1.1.1.1', '172.32.0.1', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8'];

for (const address of privateOnes) t.test(`${address} is refused`, async (t) => t.equal(isPrivateAddress(address), true));
for (const address of publicOnes) t.test(`${address} is allowed`, async (t) => t.equal(isPrivateAddress(address), false));

t.test('the webhook signature is HMAC-SHA256 of the body, checked in constant time', async (t) => {
  t.equal(signBody('key', 'The quick brown fox jumps over the lazy dog'), 'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
  t.equal(verifySignature('key', 'body', signBody('key', 'body')), true);
  t.equal(verifySignature('key', 'body!', signBody('key', 'body')), false);
  t.equal(verifySignature('key', 'body', undefined), false);
  t.equal(verifySignature('key', 'body', 'sha256=short'), false);
});
