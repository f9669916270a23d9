/**
 * Outbound requests to addresses someone else chose (a merchant's webhook endpoint) must reach the
 * public internet only. Otherwise a merchant could point an endpoint at our own network (the database,
 * a cloud metadata service, an admin port) and read the first bytes of each answer back from the
 * delivery log: server-side request forgery.
 *
 * The check runs where the connection is made (`publicOnlyLookup` is the socket's DNS lookup), so a
 * name that resolves to a public address when checked and to a private one a moment later (DNS
 * rebinding) is still refused: the address checked is the address connected to.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

// Special-purpose ranges (RFC 6890 and its IANA registries): loopback, private, shared (CGNAT),
// link-local (cloud metadata lives at 169.254.169.254), documentation, benchmarking, multicast and
// reserved. IPv4-mapped and NAT64 IPv6 addresses are checked by the IPv4 address they carry.
const v4Blocked: readonly [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const v6Blocked: readonly [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
];

const blocked = new BlockList();
for (const [address, prefix] of v4Blocked) blocked.addSubnet(address, prefix, 'ipv4');
for (const [address, prefix] of v6Blocked) blocked.addSubnet(address, prefix, 'ipv6');

/** The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`) or NAT64 (`64:ff9b::a.b.c.d`) address. */
function embeddedV4(address: string): string | undefined {
  const match = /^(?:::ffff:|64:ff9b::)(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(
    address,
  );
  if (!match) return undefined;
  if (match[1]) return match[1];
  const high = Number.parseInt(match[2] as string, 16);
  const low = Number.parseInt(match[3] as string, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** True for an IP address on the public internet; false for anything special-purpose or not an IP. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !blocked.check(address, 'ipv4');
  if (family !== 6) return false;
  const v4 = embeddedV4(address.toLowerCase());
  if (v4 !== undefined) return isPublicAddress(v4);
  if (/^::ffff:/i.test(address) || /^64:ff9b::/i.test(address)) return false; // a mapped form we can't read
  return !blocked.check(address, 'ipv6');
}

/** The host of a URL as it would be connected to: IPv6 literals without their brackets. */
function urlHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Why a URL can be refused before any lookup: an IP literal outside the public internet, or a name
 * that always means this machine. `undefined` when it may be tried (its name is checked on connect).
 */
export function nonPublicHost(url: URL): string | undefined {
  const host = urlHost(url).toLowerCase().replace(/\.$/, '');
  if (isIP(host)) return isPublicAddress(host) ? undefined : `${host} is not a public address`;
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is this machine`;
  return undefined;
}

/** A name that resolves to a non-public address: the delivery says so instead of "could not connect". */
export class NonPublicAddressError extends Error {}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** How names are resolved: node's `dns.lookup` by default; tests stand in their own answers. */
export type Resolve = (
  hostname: string,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export const systemResolve: Resolve = (hostname, callback) => dnsLookup(hostname, { all: true }, callback);

/** A `lookup` for net/tls sockets through `resolve`, any address allowed. */
export function anyLookup(resolve: Resolve) {
  return checkedLookup(resolve, () => true);
}

/**
 * A `lookup` for net/tls sockets that resolves as usual and fails with NonPublicAddressError when any
 * address of the name is not public: a name with one private address among public ones is refused
 * too, since the connection may pick any of them.
 */
export function publicOnlyLookup(resolve: Resolve = systemResolve) {
  return checkedLookup(resolve, isPublicAddress);
}

function checkedLookup(resolve: Resolve, allowed: (address: string) => boolean) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    resolve(hostname, (error, addresses) => {
      if (error) return callback(error, []);
      const refused = addresses.find((a) => !allowed(a.address));
      if (refused) {
        return callback(
          new NonPublicAddressError(`${hostname} resolves to ${refused.address}, not public`),
          [],
        );
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) {
        return callback(Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), []);
      }
      callback(null, first.address, first.family);
    });
  };
}
