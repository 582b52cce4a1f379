// Which addresses a webhook may reach: public ones only, unless the operator allows the
// private ranges. Stops a client from using our workers to reach internal services (SSRF).
// The ranges are ipaddr.js's (IANA's special-purpose registries, maintained there): an
// address is public only where it calls it 'unicast'. IPv6 forms that carry an IPv4
// address are judged by the IPv4 address they carry, since that is where they lead.
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

const v4 = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
const inSubnet = (address: IPv6, network: string, bits: number) => address.match(ipaddr.IPv6.parse(network), bits);

/**
 * The IPv4 addresses an IPv6 address carries, where its prefix says it carries one:
 * IPv4-mapped (::ffff:a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d), IPv4-compatible
 * (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d), 6to4 (2002:aabb:ccdd::) and Teredo (server and
 * client, 2001:0:...). Undefined for any other address.
 */
function embeddedIPv4(address: IPv6): IPv4[] | undefined {
  const p = address.parts;
  if (inSubnet(address, '::ffff:0:0', 96) || inSubnet(address, '::ffff:0:0:0', 96) || inSubnet(address, '64:ff9b::', 96))
    return [v4(p[6], p[7])];
  // IPv4-compatible: :: and ::1 are themselves (unspecified, loopback), not 0.0.0.0 and 0.0.0.1.
  if (inSubnet(address, '::', 96) && !(p[6] === 0 && p[7] <= 1)) return [v4(p[6], p[7])];
  if (inSubnet(address, '2002::', 16)) return [v4(p[1], p[2])];
  // Teredo: the server's address, then the client's, stored inverted.
  if (inSubnet(address, '2001::', 32)) return [v4(p[2], p[3]), v4(p[6] ^ 0xffff, p[7] ^ 0xffff)];
  return undefined;
}

function isPublic(address: IPv4 | IPv6): boolean {
  if (address.kind() === 'ipv6') {
    const carried = embeddedIPv4(address as IPv6);
    if (carried) return carried.every(isPublic);
  }
  // Everything else that is not plain unicast is private: loopback, private and unique-local,
  // link-local and site-local, carrier-grade NAT, multicast, broadcast, documentation,
  // benchmarking, discard, reserved, and the local-use NAT64 prefix 64:ff9b:1::/48 (where
  // the IPv4 address sits depends on the operator's prefix length, and it is local anyway).
  return address.range() === 'unicast';
}

/** True for every address that is not public (and for anything that is not an IP address at all). */
export function isPrivateAddress(address: string): boolean {
  if (isIP(address) === 0) return true;
  return !isPublic(ipaddr.parse(address));
}
