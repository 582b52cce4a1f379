import t from 'tap';
import { isPrivateAddress } from '../../../src/lib/address-policy.js';
import { signBody, verifySignature } from '../../../src/lib/signature.js';
import { checkWebhookUrl } from '../../../src/lib/webhook-target.js';

const privateOnes = [
  '127.0.0.1',
  '10.0.0.5',
  '172.16.3.4',
  '172.31.255.255',
  '192.168.1.1',
  '169.254.169.254',
  '100.64.0.1',
  '0.0.0.0',
  '224.0.0.1',
  '255.255.255.255',
  '::1',
  '::',
  'fd00::1',
  'fe80::1',
  '::ffff:127.0.0.1',
  '::ffff:10.0.0.1',
  'not-an-ip',
];
const publicOnes = ['8.8.8.8', '1.1.1.1', '172.32.0.1', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8'];

for (const address of privateOnes) t.test(`${address} is refused`, async (t) => t.equal(isPrivateAddress(address), true));
for (const address of publicOnes) t.test(`${address} is allowed`, async (t) => t.equal(isPrivateAddress(address), false));

// Every range, with the address that stands for it: private ones refused, public ones
// allowed; IPv6 forms that carry an IPv4 address are judged by that address.
const ranges: [address: string, isPrivate: boolean, range: string][] = [
  ['0.1.2.3', true, '0.0.0.0/8 this network'],
  ['10.255.0.1', true, '10.0.0.0/8 private'],
  ['100.127.255.254', true, '100.64.0.0/10 carrier-grade NAT'],
  ['100.128.0.1', false, 'just above carrier-grade NAT'],
  ['127.255.255.254', true, '127.0.0.0/8 loopback'],
  ['169.254.0.1', true, '169.254.0.0/16 link-local (cloud metadata)'],
  ['172.16.0.1', true, '172.16.0.0/12 private'],
  ['172.15.255.255', false, 'just below 172.16.0.0/12'],
  ['192.0.0.8', true, '192.0.0.0/24 IETF protocol assignments'],
  ['192.0.2.1', true, '192.0.2.0/24 documentation'],
  ['192.88.99.1', true, '192.88.99.0/24 6to4 relay anycast'],
  ['192.168.255.255', true, '192.168.0.0/16 private'],
  ['198.18.0.1', true, '198.18.0.0/15 benchmarking'],
  ['198.51.100.1', true, '198.51.100.0/24 documentation'],
  ['203.0.113.1', true, '203.0.113.0/24 documentation'],
  ['239.255.255.250', true, '224.0.0.0/4 multicast'],
  ['240.0.0.1', true, '240.0.0.0/4 reserved'],
  ['255.255.255.255', true, 'broadcast'],
  ['9.9.9.9', false, 'public IPv4'],
  ['::', true, ':: unspecified'],
  ['::1', true, '::1 loopback'],
  ['::7f00:1', true, 'IPv4-compatible ::127.0.0.1'],
  ['::127.0.0.1', true, 'IPv4-compatible, dotted'],
  ['::a00:1', true, 'IPv4-compatible ::10.0.0.1'],
  ['::808:808', false, 'IPv4-compatible ::8.8.8.8'],
  ['::ffff:7f00:1', true, 'IPv4-mapped in hex, ::ffff:127.0.0.1'],
  ['::ffff:a9fe:a9fe', true, 'IPv4-mapped in hex, ::ffff:169.254.169.254'],
  ['0:0:0:0:0:ffff:192.168.0.1', true, 'IPv4-mapped written out'],
  ['::ffff:808:808', false, 'IPv4-mapped ::ffff:8.8.8.8 in hex'],
  ['::ffff:0:7f00:1', true, 'IPv4-translated ::ffff:0:127.0.0.1'],
  ['::ffff:0:808:808', false, 'IPv4-translated ::ffff:0:8.8.8.8'],
  ['64:ff9b::7f00:1', true, 'NAT64 64:ff9b::/96 with 127.0.0.1'],
  ['64:ff9b::a9fe:a9fe', true, 'NAT64 64:ff9b::/96 with 169.254.169.254'],
  ['64:ff9b::808:808', false, 'NAT64 64:ff9b::/96 with 8.8.8.8'],
  ['64:ff9b:1::a00:1', true, 'local-use NAT64 64:ff9b:1::/48'],
  ['64:ff9b:1:808:8:800::', true, 'local-use NAT64, whatever it carries'],
  ['2002:7f00:1::1', true, '6to4 with 127.0.0.1'],
  ['2002:c0a8:101::1', true, '6to4 with 192.168.1.1'],
  ['2002:808:808::1', false, '6to4 with 8.8.8.8'],
  ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', false, 'Teredo, server 65.54.227.120 and client 8.8.8.8'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', true, 'Teredo with client 192.0.2.45 (documentation)'],
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', true, 'Teredo with client 127.0.0.1'],
  ['2001:0:a00:1:8000:63bf:3fff:fdd2', true, 'Teredo with server 10.0.0.1'],
  ['100::1', true, '100::/64 discard'],
  ['2001:2::1', true, '2001:2::/48 benchmarking'],
  ['2001:10::1', true, '2001:10::/28 ORCHID'],
  ['2001:db8::1', true, '2001:db8::/32 documentation'],
  ['3fff::1', true, '3fff::/20 documentation'],
  ['5f00::1', true, '5f00::/16 segment routing'],
  ['fc00::1', true, 'fc00::/7 unique-local'],
  ['fdff:ffff::1', true, 'fc00::/7 unique-local, high end'],
  ['fe80::1', true, 'fe80::/10 link-local'],
  ['fe80::1%eth0', true, 'link-local with a zone'],
  ['febf::1', true, 'fe80::/10 link-local, high end'],
  ['fec0::1', true, 'fec0::/10 site-local (deprecated)'],
  ['ff02::1', true, 'ff00::/8 multicast'],
  ['2606:4700:4700::1111', false, 'public IPv6'],
  ['2a00:1450:4001::200e', false, 'public IPv6'],
  ['', true, 'empty'],
  ['127.1', true, 'a short form is not an address'],
  ['localhost', true, 'a name is not an address'],
];

t.test('each address range: private refused, public allowed', async (t) => {
  for (const [address, isPrivate, range] of ranges) t.equal(isPrivateAddress(address), isPrivate, `${address}: ${range}`);
});

t.test('a webhook URL is http(s) to a host that is no private literal and no localhost name', async (t) => {
  const problem = (raw: string, allowPrivate = false) => {
    const target = checkWebhookUrl(raw, allowPrivate);
    return 'problem' in target ? target.problem : undefined;
  };
  t.equal(problem('https://example.org/hook'), undefined);
  t.equal(problem('http://[2606:4700:4700::1111]:8080/'), undefined);
  t.match(checkWebhookUrl('http://[2606:4700:4700::1111]:8080/', false), { host: '2606:4700:4700::1111', literal: true });
  t.match(checkWebhookUrl('https://Example.org/hook', false), { host: 'example.org', literal: false });
  t.equal(problem('not a url'), 'webhook is not a URL');
  t.equal(problem('ftp://example.org/'), 'webhook must be an http or https URL, not ftp:');
  for (const host of [
    '127.0.0.1',
    '[::1]',
    '[::7f00:1]',
    '[64:ff9b::a9fe:a9fe]',
    '[2002:a00:1::]',
    '0x7f.1',
    '2130706433',
    'localhost',
    'api.LOCALHOST',
  ]) {
    t.equal(problem(`http://${host}/`), `webhook host ${new URL(`http://${host}/`).hostname} is a private address`, host);
  }
  t.equal(problem('http://127.0.0.1/', true), undefined, 'WEBHOOK_ALLOW_PRIVATE lifts the check');
});

t.test('the webhook signature is HMAC-SHA256 of the body, checked in constant time', async (t) => {
  t.equal(
    signBody('key', 'The quick brown fox jumps over the lazy dog'),
    'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
  );
  t.equal(verifySignature('key', 'body', signBody('key', 'body')), true);
  t.equal(verifySignature('key', 'body!', signBody('key', 'body')), false);
  t.equal(verifySignature('key', 'body', undefined), false);
  t.equal(verifySignature('key', 'body', 'sha256=short'), false);
});
